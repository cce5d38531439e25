-- Builds the per-field three-way comparison shared by the generated sync and diff code: a VALUES list
-- with one row per synced field of (field, ord, ov, l_eq_g, g_eq_b, l, g, b), to be used as
-- "cross join lateral (values ...) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b)" over the aliases
-- pa (project asset), g (global asset) and b (base: the snapshot at pa.global_version as a row).
-- Comparisons are typed; l, g and b are the values as jsonb for reports and conflict entries.

create or replace function assetsync.sql_field_states(p_fields assetsync.synced_field[])
returns text
language plpgsql
immutable
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
                '             pg_catalog.to_jsonb(pa.%I), pg_catalog.to_jsonb(g.%I), pg_catalog.to_jsonb(b.%I))',
                u.name,
                u.n,
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), pg_catalog.format('b.%I', u.name), u.comparison),
                u.name,
                u.name,
                u.name
            ),
            E',\n            ' order by u.n
        )
    into v_rows
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    -- With no synced field at all, an empty set of the same shape.
    return coalesce(
        'values ' || v_rows,
        'select null::text, null::bigint, null::boolean, null::boolean, null::boolean, '
        'null::jsonb, null::jsonb, null::jsonb where false'
    );
end;
$fn$;

comment on function assetsync.sql_field_states(assetsync.synced_field[]) is
'Code generation helper: the per-field three-way comparison (local/global/base) shared by the generated '
'sync and diff functions.';
