-- Generates assetsync.diff(): the per-field preview of an "Update from Global".

create or replace function assetsync.generate_diff(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_diff',
        p_fields,
        'assetsync.diff',
        'p_project_asset_id uuid',
        'uuid',
        E'table (\n    field text, local_value jsonb, global_value jsonb, base_value jsonb, overridden boolean, state text\n)',
        '{stable}',
        pg_catalog.format(
            $tpl$
begin
    return query
    select
        x.field,
        x.l,
        x.g,
        x.b,
        x.ov,
        case
            when pa.sync_conflicts ? x.field or (x.ov and not x.g_eq_b and not x.l_eq_g) then 'conflict'
            when x.l_eq_g then 'in_sync'
            when not x.ov then 'will_update'
            else 'overridden'
        end
    from public.project_assets as pa
    inner join public.global_assets as g on pa.global_asset_id = g.id
    left join public.global_asset_versions as v
        on v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
    cross join lateral pg_catalog.jsonb_populate_record(null::public.global_assets, v.snapshot) as b
    cross join lateral (
        %1$s
    ) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b)
    where pa.id = p_project_asset_id
    order by x.ord;
end;
$tpl$,
            assetsync.sql_field_states(p_fields)
        ),
        'Per-field preview of a sync of one project asset; see project_asset_diff(). Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_diff(assetsync.synced_field[]) is
'Generator of assetsync.diff(); called by asset_sync_refresh().';
