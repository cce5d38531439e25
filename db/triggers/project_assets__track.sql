-- Tracking and linking of project assets, for every client: app, psql, PostgREST, a DBA.
-- One trigger, so a tracked UPDATE pays for a single PL/pgSQL call.

create or replace trigger project_assets_100_track
before insert or update on public.project_assets
for each row
execute function assetsync.tg_project_assets__track();

comment on trigger project_assets_100_track on public.project_assets is
'Marks each synced field a client UPDATE changes in overridden_fields, links rows whose global_asset_id is '
'set or changed, lets rows whose global_asset_id becomes NULL detach keeping every value, rejects client '
'writes of global_version, last_synced_at and sync_conflicts, and maintains updated_at. See function '
'assetsync.tg_project_assets__track().';
