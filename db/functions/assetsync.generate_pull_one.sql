-- Generates assetsync.pull_one(): the sync of ONE project asset, by its id, returning its
-- report. A scalar primary-key predicate keeps even a generic plan an index lookup per table, whatever
-- the size of the library (an array predicate may hash-join every global asset for one row).

create or replace function assetsync.generate_pull_one(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull_one',
        p_fields,
        'assetsync.pull_one',
        'p_project_asset_id uuid',
        'uuid',
        'jsonb',
        '{volatile,"set plan_cache_mode = force_generic_plan"}',
        pg_catalog.format(
            $tpl$
declare
    v_report jsonb;
begin
    with s as (%1$s    )
    update public.project_assets as t
    set
%2$s
        sync_conflicts = s.sync_conflicts,
        global_version = s.to_version,
        last_synced_at = pg_catalog.now()
    from s
    where t.id = s.id
    returning
        %3$s
    into v_report;
    return v_report;
end;
$tpl$,
            assetsync.sql_pull_select(p_fields, 'pa.id = p_project_asset_id'),
            assetsync.sql_pull_set(p_fields),
            assetsync.sql_pull_report()
        ),
        'The override-aware three-way sync of one project asset as one UPDATE by primary key; returns its '
        'report (sync_project_asset). The caller must hold the row lock. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull_one(assetsync.synced_field[]) is
'Generator of assetsync.pull_one(); called by asset_sync_refresh().';
