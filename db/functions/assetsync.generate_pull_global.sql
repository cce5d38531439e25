-- Generates assetsync.pull_global(): the fan-out of sync_global_asset(), every copy of one
-- global as ONE UPDATE, returning how many it visited (no per-row report is built). The caller locks
-- the global and the copies first.

create or replace function assetsync.generate_pull_global(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull_global',
        p_fields,
        'assetsync.pull_global',
        'p_global_asset_id uuid',
        'uuid',
        'integer',
        '{volatile}',
        pg_catalog.format(
            $tpl$
declare
    v_count integer;
begin
    with s as (%1$s    )
    update public.project_assets as t
    set
%2$s
        sync_conflicts = s.sync_conflicts,
        global_version = s.to_version,
        last_synced_at = pg_catalog.now()
    from s
    where t.id = s.id;
    get diagnostics v_count = row_count;
    return v_count;
end;
$tpl$,
            assetsync.sql_pull_select(p_fields, 'pa.global_asset_id = p_global_asset_id'),
            assetsync.sql_pull_set(p_fields)
        ),
        'The sync of every copy of one global asset as one UPDATE (the fan-out of sync_global_asset); '
        'returns how many copies it visited. The caller must hold the locks. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull_global(assetsync.synced_field[]) is
'Generator of assetsync.pull_global(); called by asset_sync_refresh().';
