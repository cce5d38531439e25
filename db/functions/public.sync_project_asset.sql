-- "Update from Global" for one project asset: the override-aware three-way pull.

create or replace function public.sync_project_asset(p_project_asset_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
begin
    perform assetsync.lock_project_asset(p_project_asset_id, true);
    return assetsync.pull_one(p_project_asset_id);
end;
$fn$;

comment on function public.sync_project_asset(uuid) is
'Pulls the linked global asset into a project asset. Fields not overridden take the global''s current value; '
'overridden fields keep theirs, and when the global changed one since the base (the snapshot at '
'global_version) to a value that differs from the local one, sync_conflicts->field records base, local, '
'global, global_version and detected_at. Then global_version = the global''s version, last_synced_at = now(). '
'Returns {project_asset_id, global_asset_id, from_version, to_version, status (synced or up_to_date), '
'updated_fields, kept_fields, conflict_fields}, field lists in column order. Locks the row: a concurrent '
'edit is waited for and kept. Errors: 22004 NULL, P0002 unknown or not visible, 55000 not linked.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.sync_project_asset(uuid) from public;
