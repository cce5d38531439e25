-- Generates public.project_asset_visual_diff(): the rows and states of project_asset_diff() (through the
-- same assetsync.diff(), so the same order and errors) with word-level text_diff() segments for the
-- text-typed fields (text, varchar and domains over them: their names are baked in), NULL for the others.

create or replace function assetsync.generate_project_asset_visual_diff(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_project_asset_visual_diff',
        p_for.fields,
        'public.project_asset_visual_diff',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        E'table (\n    field text,\n    state text,\n    base_to_local jsonb,\n    base_to_global jsonb,\n'
        || E'    local_to_global jsonb\n)',
        array['stable'],
        pg_catalog.format(
            $tpl$begin
    perform assetsync.linked_project_asset(p_project_asset_id);
    return query
    select
        d.field,
        d.state,
        case when d.field = any(%1$L::text[]) then public.text_diff(d.base_value #>> '{}', d.local_value #>> '{}') end,
        case when d.field = any(%1$L::text[]) then public.text_diff(d.base_value #>> '{}', d.global_value #>> '{}') end,
        case when d.field = any(%1$L::text[]) then public.text_diff(d.local_value #>> '{}', d.global_value #>> '{}') end
    from assetsync.diff(p_project_asset_id) as d;
end;
$tpl$,
            (
                select coalesce(pg_catalog.array_agg(u.name order by u.n), '{}')
                from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
                where u.base_type ~ '^(text|character varying(\(\d+\))?)$'
            )
        ),
        'One row per synced field in column order, as project_asset_diff() (same states and errors), with the '
        'word-level segments (text_diff()) base to local, base to global and local to global for text-typed '
        'fields (never NULL for them; a NULL value counts as the empty text), NULL for the other types. Changes '
        'nothing. Errors: 22004 NULL, P0002 unknown or not visible, 55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_project_asset_visual_diff(assetsync.generator_input) is
'Generator of public.project_asset_visual_diff(); called by asset_sync_refresh().';
