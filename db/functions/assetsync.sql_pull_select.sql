-- Generates the SELECT that computes, for each project asset it finds, everything a sync writes and
-- reports: the new value of each synced field, updated/kept/conflict field lists in column order, and
-- the new sync_conflicts. Shared by the generated assetsync.pull() (by ids, with reports) and
-- assetsync.pull_global() (every copy of one global, a count). Plain per-field CASE expressions, no
-- per-row aggregation; the base snapshot is read and typed only for rows that override something.

create or replace function assetsync.sql_pull_select(p_fields assetsync.synced_field[], p_where text)
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_new_values text;
    v_updated text;
    v_kept text;
    v_conflicts text;
    v_dropped text;
    v_written text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '            case when %L = any(pa.overridden_fields) then pa.%I else g.%I end as f%s,',
                u.name, u.name, u.name, u.n
            ),
            E'\n' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                'case when not (%L = any(pa.overridden_fields)) and %s then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                u.name
            ),
            E',\n                ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format('case when %L = any(pa.overridden_fields) then %L end', u.name, u.name),
            E',\n                ' order by u.n
        ),
        -- A conflict: overridden, the global changed since base, and the global differs from local.
        pg_catalog.string_agg(
            pg_catalog.format(
                'case when %L = any(pa.overridden_fields) and %s and %s then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), pg_catalog.format('b.%I', u.name), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                u.name
            ),
            E',\n                    ' order by u.n
        ),
        -- An entry is dropped when the field is not overridden or its local value equals the global's.
        pg_catalog.string_agg(
            pg_catalog.format(
                'case when not (%L = any(pa.overridden_fields)) or not (%s) then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                u.name
            ),
            E',\n                    ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'coalesce(case when %L = any(pa.overridden_fields) and %s and %s then pg_catalog.jsonb_build_object(\n'
                '                    %L, pg_catalog.jsonb_build_object(\n'
                '                        ''base'', pg_catalog.to_jsonb(b.%I), ''local'', pg_catalog.to_jsonb(pa.%I),\n'
                '                        ''global'', pg_catalog.to_jsonb(g.%I), ''global_version'', g.version,\n'
                '                        ''detected_at'', pg_catalog.now()\n'
                '                    )\n'
                '                ) end, ''{}'')',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), pg_catalog.format('b.%I', u.name), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                u.name, u.name, u.name, u.name
            ),
            E'\n                || ' order by u.n
        )
    into v_new_values, v_updated, v_kept, v_conflicts, v_dropped, v_written
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    return pg_catalog.format(
        $tpl$
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
%1$s
            pg_catalog.array_remove(array[
                %2$s
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                %3$s
            ]::text[], null) as kept_fields,
            case when pa.overridden_fields = '{}' then '{}'::text[] else pg_catalog.array_remove(array[
                    %4$s
                ]::text[], null)
            end as conflict_fields,
            case when pa.overridden_fields = '{}' then '{}'::jsonb else
                (pa.sync_conflicts - pg_catalog.array_remove(array[
                    %5$s
                ]::text[], null))
                || %6$s
            end as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        -- The base (the snapshot at global_version, typed), looked up by primary key and only where a field
        -- is overridden; a function scan, so the planner keeps it a per-row lookup in any plan.
        cross join lateral pg_catalog.jsonb_populate_record(
            null::public.global_assets,
            case when pa.overridden_fields <> '{}' then (
                select v.snapshot
                from public.global_asset_versions as v
                where v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
            ) end
        ) as b
        where %7$s
$tpl$,
        coalesce(v_new_values, ''),
        coalesce(v_updated, 'null'),
        coalesce(v_kept, 'null'),
        coalesce(v_conflicts, 'null'),
        coalesce(v_dropped, 'null'),
        coalesce(v_written, '''{}''::jsonb'),
        p_where
    );
end;
$fn$;

comment on function assetsync.sql_pull_select(assetsync.synced_field[], text) is
'Code generation helper: the SELECT computing a sync''s new values, field lists and sync_conflicts for the '
'project assets matching p_where; shared by the generated assetsync.pull() and assetsync.pull_global().';
