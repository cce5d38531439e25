-- Generates assetsync.pull_one(): the sync of ONE project asset, by its id, returning its
-- report. A scalar primary-key predicate keeps even a generic plan an index lookup per table, whatever
-- the size of the library (an array predicate may hash-join every global asset for one row).
-- sync_project_asset() runs the same UPDATE inline (one PL/pgSQL call instead of three); the push calls this.

create or replace function assetsync.generate_pull_one(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull_one',
        p_for.fields,
        'assetsync.pull_one',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair),
        assetsync.sql_render('{copies_key_type}', p_for.pair),
        'jsonb',
        '{volatile,"set plan_cache_mode = force_generic_plan"}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_report jsonb;
begin
    %1$s
    select u.report into v_report from u;
    return v_report;
end;
$tpl$, p_for.pair),
            assetsync.sql_pull_update(
                p_for.fields, p_for.pair, 'pa.{copies_key} = p_project_asset_id',
                E',\n            ' || assetsync.sql_pull_report() || ' as report'
            )
        ),
        'The override-aware three-way sync of one project asset as one UPDATE by primary key; returns its '
        'report (sync_project_asset). The caller must hold the row lock. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull_one(assetsync.generator_input) is
'Generator of assetsync.pull_one(); called by asset_sync_refresh().';
