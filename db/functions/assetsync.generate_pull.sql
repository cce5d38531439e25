-- Generates assetsync.pull(): the override-aware sync of the given project assets as ONE
-- UPDATE, returning a report per row. Callers lock the rows first (see sync_project_asset).

create or replace function assetsync.generate_pull(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull',
        p_for.fields,
        'assetsync.pull',
        assetsync.sql_render('p_project_asset_ids {copies_key_type}[]', p_for.pair),
        assetsync.sql_render('{copies_key_type}[]', p_for.pair),
        'setof jsonb',
        '{volatile,"set plan_cache_mode = force_generic_plan"}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    return query
    %1$s
    select u.report from u;
end;
$tpl$, p_for.pair),
            assetsync.sql_pull_update(
                p_for.fields, p_for.pair, 'pa.{copies_key} = any(p_project_asset_ids)',
                E',\n            ' || assetsync.sql_pull_report() || ' as report'
            )
        ),
        'The override-aware three-way sync of the given project assets as one UPDATE; returns one report per '
        'row. The caller must hold the row locks (see assetsync.lock_project_asset). Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull(assetsync.generator_input) is
'Generator of assetsync.pull(); called by asset_sync_refresh().';
