-- The data of a side-by-side "Update from Global" preview.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_project_asset_diff(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_project_asset_diff',
        p_for.fields,
        'public.project_asset_diff',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        assetsync.sql_render('table (
    field text,
    local_value jsonb,
    global_value jsonb,
    base_value jsonb,
    overridden boolean,
    state text
)', p_for.pair, false),
        array['stable'],
        assetsync.sql_render(
            $tpl$begin
    perform assetsync.linked_project_asset(p_project_asset_id);
    return query select d.* from assetsync.diff(p_project_asset_id) as d;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'One row per synced field in column order: local, global and base (snapshot at global_version) values as '
        'jsonb, whether the field is overridden, and state, the first that applies: conflict (a conflict entry '
        'exists, or the field is overridden and the global changed since base to a value that differs from local, '
        'and the field is in whole mode or its word-level merge overlaps), will_merge (the same in text mode, '
        'without overlap: the next sync merges it), in_sync (local equals global), will_update (not overridden: the next sync takes the global value), '
        'overridden (overridden, global unchanged since base). Changes nothing. Errors: 22004 NULL, P0002 unknown or '
        'not visible, 55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_project_asset_diff(assetsync.generator_input) is
'Generator of public.project_asset_diff(); called by asset_sync_refresh().';
