-- Generates assetsync.pull_global(): the fan-out of sync_global_asset(), every copy of one
-- global as ONE UPDATE, returning how many it visited (no per-row report is built). The caller locks
-- the global and the copies first.

create or replace function assetsync.generate_pull_global(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_pull_global',
        p_for.fields,
        'assetsync.pull_global',
        assetsync.sql_render('p_global_asset_id {library_key_type}', p_for.pair),
        assetsync.sql_render('{library_key_type}', p_for.pair),
        'integer',
        '{volatile}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_count integer;
begin
    %1$s
    select count(*) into v_count from u;
    return v_count;
end;
$tpl$, p_for.pair),
            assetsync.sql_pull_update(p_for.fields, p_for.pair, 'pa.{link} = p_global_asset_id', '')
        ),
        'The sync of every copy of one global asset as one UPDATE (the fan-out of sync_global_asset); '
        'returns how many copies it visited. The caller must hold the locks. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_pull_global(assetsync.generator_input) is
'Generator of assetsync.pull_global(); called by asset_sync_refresh().';
