-- Stores each new version's snapshot. AFTER, so the row is final; the UPDATE trigger fires only when the
-- version actually moved.

create or replace trigger global_assets_500_record_version_on_insert
after insert on public.global_assets
for each row
execute function assetsync.tg_global_assets__record_version();

create or replace trigger global_assets_500_record_version_on_update
after update on public.global_assets
for each row
when (old.version is distinct from new.version)
execute function assetsync.tg_global_assets__record_version();

comment on trigger global_assets_500_record_version_on_insert on public.global_assets is
'Stores version 1 of a new global asset (every synced field) in global_asset_versions.';
comment on trigger global_assets_500_record_version_on_update on public.global_assets is
'Stores each new version (snapshot and changed fields) in global_asset_versions; fires only when version moved.';
