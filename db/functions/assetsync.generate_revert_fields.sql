-- Generates assetsync.revert_fields(): give the named fields of one project asset the
-- global's current value again and forget their overrides and conflicts, in one UPDATE.

create or replace function assetsync.generate_revert_fields(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_set text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format('%I = case when %L = any(p_fields) then g.%I else pa.%I end,', u.name, u.name, u.name, u.name),
            E'\n        ' order by u.n
        )
    into v_set
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_revert_fields',
        p_for.fields,
        'assetsync.revert_fields',
        assetsync.sql_render('p_project_asset_id {copies_key_type}, p_fields text[]', p_for.pair),
        assetsync.sql_render('{copies_key_type}, text[]', p_for.pair),
        'void',
        '{volatile}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    update {copies} as pa
    set
        %1$s
        overridden_fields = array(
            select o.field_name
            from unnest(pa.overridden_fields) with ordinality as o (field_name, position)
            where o.field_name <> all(p_fields)
            order by o.position
        ),
        sync_conflicts = pa.sync_conflicts - p_fields
    from {library} as g
    where pa.{copies_key} = p_project_asset_id and pa.{link} = g.{library_key};
end;
$tpl$, p_for.pair),
            coalesce(v_set, '')
        ),
        'Sets the named fields of a project asset to its global''s current values and drops them from '
        'overridden_fields and sync_conflicts. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_revert_fields(assetsync.generator_input) is
'Generator of assetsync.revert_fields(); called by asset_sync_refresh().';
