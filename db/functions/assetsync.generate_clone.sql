-- Generates assetsync.clone(): insert a copy of a global asset's synced fields into a
-- project. The tracking trigger then links it (records the version, marks nothing).

create or replace function assetsync.generate_clone(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
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
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_clone',
        p_fields,
        'assetsync.clone',
        'p_global_asset_id uuid, p_project_id uuid',
        'uuid, uuid',
        'uuid',
        '{volatile}',
        pg_catalog.format(
            $tpl$
declare
    v_id uuid;
begin
    insert into public.project_assets (project_id, global_asset_id%1$s)
    select p_project_id, g.id%2$s
    from public.global_assets as g
    where g.id = p_global_asset_id
    returning project_assets.id into v_id;
    return v_id;
end;
$tpl$,
            coalesce(v_columns, ''),
            coalesce(v_values, '')
        ),
        'Inserts a copy of a global asset''s synced fields into a project, linked to it; returns the new id. '
        'Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_clone(assetsync.synced_field[]) is
'Generator of assetsync.clone(); called by asset_sync_refresh().';
