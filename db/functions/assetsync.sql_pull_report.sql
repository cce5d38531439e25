-- Builds the report expression of the generated syncs, over the columns of assetsync.sql_pull_select()
-- aliased s: {project_asset_id, global_asset_id, from_version, to_version, status, updated_fields,
-- kept_fields, conflict_fields, merged_fields}, as sync_project_asset() returns it. A sync that only drops a conflict
-- entry changed the copy, so it is "synced", not "up_to_date".

create or replace function assetsync.sql_pull_report()
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return $expr$pg_catalog.jsonb_build_object(
            'project_asset_id', s.id,
            'global_asset_id', s.global_asset_id,
            'from_version', s.from_version,
            'to_version', s.to_version,
            'status', case
                when s.to_version = s.from_version and s.updated_fields = '{}' and s.conflict_fields = '{}'
                    and s.sync_conflicts = s.old_sync_conflicts
                    then 'up_to_date'
                else 'synced'
            end,
            'updated_fields', pg_catalog.to_jsonb(s.updated_fields),
            'kept_fields', pg_catalog.to_jsonb(s.kept_fields),
            'conflict_fields', pg_catalog.to_jsonb(s.conflict_fields),
            'merged_fields', pg_catalog.to_jsonb(s.merged_fields)
        )$expr$;
end;
$fn$;

comment on function assetsync.sql_pull_report() is
'Code generation helper: the per-row report of the generated syncs (see sync_project_asset()).';
