-- Generates the body of assetsync.clone(): insert a copy of a global asset's synced fields into a
-- project. The tracking trigger then links it (records the version, marks nothing).

create or replace function assetsync.source_clone(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_columns text;
    v_values text;
begin
    perform p_modes;
    select
        pg_catalog.string_agg(pg_catalog.format(', %I', u.field), '' order by u.n),
        pg_catalog.string_agg(pg_catalog.format(', g.%I', u.field), '' order by u.n)
    into v_columns, v_values
    from unnest(p_fields) with ordinality as u (field, n);

    return pg_catalog.format(
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
    );
end;
$fn$;

comment on function assetsync.source_clone(text[], text[]) is
'Code generator for assetsync.clone(); called by asset_sync_refresh().';
