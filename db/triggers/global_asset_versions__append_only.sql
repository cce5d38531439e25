-- History that nobody can forge: see function assetsync.tg_global_asset_versions__append_only().

create or replace trigger global_asset_versions_100_append_only
before insert or update or delete on public.global_asset_versions
for each row
execute function assetsync.tg_global_asset_versions__append_only();

comment on trigger global_asset_versions_100_append_only on public.global_asset_versions is
'Refuses (42501) any INSERT that does not come from the versioning trigger of global_assets, every UPDATE, '
'and every DELETE except the cascade of the global asset''s own DELETE.';
