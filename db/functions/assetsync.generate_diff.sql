-- Generates assetsync.diff(): the per-field preview of an "Update from Global".

create or replace function assetsync.generate_diff(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_diff',
        p_for.fields,
        'assetsync.diff',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair),
        assetsync.sql_render('{copies_key_type}', p_for.pair),
        E'table (\n    field text, local_value jsonb, global_value jsonb, base_value jsonb, overridden boolean, state text\n)',
        '{stable}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    return query
    select
        x.field,
        x.l,
        x.g,
        x.b,
        x.ov,
        case
            when pa.sync_conflicts ? x.field or (x.ov and not x.g_eq_b and not x.l_eq_g and not x.merges) then 'conflict'
            when x.ov and not x.g_eq_b and not x.l_eq_g then 'will_merge'
            when x.l_eq_g then 'in_sync'
            when not x.ov then 'will_update'
            else 'overridden'
        end
    from {copies} as pa
    inner join {library} as g on pa.{link} = g.{library_key}
    left join {versions} as v
        on v.global_asset_id = pa.{link} and v.version = pa.global_version
    cross join lateral pg_catalog.jsonb_to_record(v.snapshot) as b (%2$s)
    cross join lateral (
        %1$s
    ) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b, merges)
    where pa.{copies_key} = p_project_asset_id
    order by x.ord;
end;
$tpl$, p_for.pair),
            assetsync.sql_field_states(p_for.fields),
            assetsync.sql_base_columns(p_for.fields)
        ),
        'Per-field preview of a sync of one project asset; see project_asset_diff(). Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_diff(assetsync.generator_input) is
'Generator of assetsync.diff(); called by asset_sync_refresh().';
