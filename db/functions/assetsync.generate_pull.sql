-- Generates assetsync.pull(): the override-aware sync of the given project assets as ONE
-- UPDATE, returning a report per row. Callers lock the rows first (see sync_project_asset).

create or replace function assetsync.generate_pull(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull',
        p_fields,
        'assetsync.pull',
        'p_project_asset_ids uuid[]',
        'uuid[]',
        'setof jsonb',
        '{volatile,"set plan_cache_mode = force_generic_plan"}',
        pg_catalog.format(
            $tpl$
begin
    return query
    with s as (%1$s    ),
    u as (
        update public.project_assets as t
        set
%2$s
            sync_conflicts = s.sync_conflicts,
            global_version = s.to_version,
            last_synced_at = pg_catalog.now()
        from s
        where t.id = s.id
        returning
            %3$s as report
    )
    select u.report from u;
end;
$tpl$,
            assetsync.sql_pull_select(p_fields, 'pa.id = any(p_project_asset_ids)'),
            assetsync.sql_pull_set(p_fields),
            assetsync.sql_pull_report()
        ),
        'The override-aware three-way sync of the given project assets as one UPDATE; returns one report per '
        'row. The caller must hold the row locks (see assetsync.lock_project_asset). Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull(assetsync.synced_field[]) is
'Generator of assetsync.pull(); called by asset_sync_refresh().';
