-- Generates assetsync.clone(): insert a copy of a global asset's synced fields into a
-- project. The tracking trigger then links it (records the version, marks nothing).

create or replace function assetsync.generate_clone(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_columns text;
    v_values text;
begin
    select
        pg_catalog.string_agg(pg_catalog.format(', %I', u.name), '' order by u.n),
        pg_catalog.string_agg(pg_catalog.format(', g.%I', u.name), '' order by u.n)
    into v_columns, v_values
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_clone',
        p_for.fields,
        'assetsync.clone',
        assetsync.sql_render('p_global_asset_id {library_key_type}, p_project_id {projects_key_type}', p_for.pair),
        assetsync.sql_render('{library_key_type}, {projects_key_type}', p_for.pair),
        assetsync.sql_render('{copies_key_type}', p_for.pair),
        '{volatile}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_id {copies_key_type};
begin
    insert into {copies} ({project}, {link}%1$s)
    select p_project_id, g.{library_key}%2$s
    from {library} as g
    where g.{library_key} = p_global_asset_id
    returning {copies_key} into v_id;
    return v_id;
end;
$tpl$, p_for.pair),
            coalesce(v_columns, ''),
            coalesce(v_values, '')
        ),
        'Inserts a copy of a global asset''s synced fields into a project, linked to it; returns the new id. '
        'Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_clone(assetsync.generator_input) is
'Generator of assetsync.clone(); called by asset_sync_refresh().';
