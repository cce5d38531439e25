-- Generates the body of assetsync.pull(): the whole override-aware sync of a set of project assets as
-- ONE set-based UPDATE. Callers lock the rows first (see sync_project_asset and friends).

create or replace function assetsync.source_pull(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_new_values text;
    v_set text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '            case when %L = any(pa.overridden_fields) then pa.%I else g.%I end as f%s,',
                u.field, u.field, u.field, u.n
            ),
            E'\n' order by u.n
        ),
        pg_catalog.string_agg(pg_catalog.format('%I = s.f%s', u.field, u.n), E',\n        ' order by u.n)
    into v_new_values, v_set
    from unnest(p_fields) with ordinality as u (field, n);

    return pg_catalog.format(
        $tpl$
begin
    return query
    with s as (
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
%1$s
            r.updated_fields,
            r.kept_fields,
            r.conflict_fields,
            (pa.sync_conflicts - r.dropped_fields) || r.written_conflicts as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        left join public.global_asset_versions as v
            on v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
        cross join lateral pg_catalog.jsonb_populate_record(null::public.global_assets, v.snapshot) as b
        cross join lateral (
            select
                coalesce(pg_catalog.array_agg(x.field order by x.ord) filter (
                    where not x.ov and not x.l_eq_g
                ), '{}') as updated_fields,
                coalesce(pg_catalog.array_agg(x.field order by x.ord) filter (
                    where x.ov
                ), '{}') as kept_fields,
                coalesce(pg_catalog.array_agg(x.field order by x.ord) filter (
                    where x.ov and not x.g_eq_b and not x.l_eq_g
                ), '{}') as conflict_fields,
                coalesce(pg_catalog.jsonb_object_agg(
                    x.field,
                    pg_catalog.jsonb_build_object(
                        'base', x.b, 'local', x.l, 'global', x.g,
                        'global_version', g.version, 'detected_at', pg_catalog.now()
                    )
                ) filter (where x.ov and not x.g_eq_b and not x.l_eq_g), '{}') as written_conflicts,
                coalesce(pg_catalog.array_agg(x.field) filter (
                    where not x.ov or x.l_eq_g
                ), '{}') as dropped_fields
            from (
            %2$s
            ) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b)
        ) as r
        where pa.id = any(p_project_asset_ids)
    ),
    u as (
        update public.project_assets as t
        set
        %3$s%4$s
            sync_conflicts = s.sync_conflicts,
            global_version = s.to_version,
            last_synced_at = pg_catalog.now()
        from s
        where t.id = s.id
        returning
            pg_catalog.jsonb_build_object(
                'project_asset_id', s.id,
                'global_asset_id', s.global_asset_id,
                'from_version', s.from_version,
                'to_version', s.to_version,
                'status', case
                    when s.to_version = s.from_version and s.updated_fields = '{}' and s.conflict_fields = '{}'
                        then 'up_to_date'
                    else 'synced'
                end,
                'updated_fields', pg_catalog.to_jsonb(s.updated_fields),
                'kept_fields', pg_catalog.to_jsonb(s.kept_fields),
                'conflict_fields', pg_catalog.to_jsonb(s.conflict_fields)
            ) as report
    )
    select u.report from u;
end;
$tpl$,
        coalesce(v_new_values, ''),
        assetsync.sql_field_states(p_fields, p_modes),
        coalesce(v_set, ''),
        case when v_set is null then '' else E',\n' end
    );
end;
$fn$;

comment on function assetsync.source_pull(text[], text[]) is
'Code generator for assetsync.pull(); called by asset_sync_refresh().';
