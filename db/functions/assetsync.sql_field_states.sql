-- Builds the per-field three-way comparison shared by the generated sync and diff code: a VALUES list
-- with one row per synced field of (field, ord, ov, l_eq_g, g_eq_b, l, g, b, merges), to be used as
-- "cross join lateral (values ...) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b, merges)" over the aliases
-- pa (project asset), g (global asset), v (the version at pa.global_version) and b (its snapshot as a
-- row, see assetsync.sql_base_value).
-- Comparisons are typed; l, g and b are the values as jsonb for reports and conflict entries. merges is
-- true when the field is in text mode and a sync would merge it cleanly (assetsync.text_merge()), where
-- Part 1 would record a conflict; always false in whole mode.

create or replace function assetsync.sql_field_states(p_fields assetsync.synced_field[])
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_rows text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                E'(%L::text, %s, %L = any(pa.overridden_fields), not (%s), not (%s),\n'
                '             pg_catalog.to_jsonb(pa.%I), pg_catalog.to_jsonb(g.%I), pg_catalog.to_jsonb(%s), %s)',
                u.name,
                u.n,
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), assetsync.sql_base_value(u.name, u.base_type, 'v.snapshot'), u.comparison),
                u.name,
                u.name,
                assetsync.sql_base_value(u.name, u.base_type, 'v.snapshot'),
                case when u.merge = 'text' then pg_catalog.format(
                    E'\n             %L = any(pa.overridden_fields) and %s and %s\n'
                    '             and (assetsync.text_merge(%s::text, pa.%I::text, g.%I::text) ->> ''merged'') is not null',
                    u.name,
                    assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), assetsync.sql_base_value(u.name, u.base_type, 'v.snapshot'), u.comparison),
                    assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                    assetsync.sql_base_value(u.name, u.base_type, 'v.snapshot'),
                    u.name,
                    u.name
                ) else 'false' end
            ),
            E',\n            ' order by u.n
        )
    into v_rows
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    -- With no synced field at all, an empty set of the same shape.
    return coalesce(
        'values ' || v_rows,
        'select null::text, null::bigint, null::boolean, null::boolean, null::boolean, '
        'null::jsonb, null::jsonb, null::jsonb, null::boolean where false'
    );
end;
$fn$;

comment on function assetsync.sql_field_states(assetsync.synced_field[]) is
'Code generation helper: the per-field three-way comparison (local/global/base) shared by the generated '
'sync and diff functions.';
