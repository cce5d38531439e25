-- Versioning of library assets: version is the database's, raised once per change of a synced field.

create or replace trigger global_assets_100_version
before insert or update on public.global_assets
for each row
execute function assetsync.tg_global_assets__version();

comment on trigger global_assets_100_version on public.global_assets is
'Starts version at 1, raises it by 1 for each UPDATE that changes a synced field, rejects client writes of '
'version (22023) and maintains updated_at. See function assetsync.tg_global_assets__version().';
