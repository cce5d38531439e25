-- The SQL expressions that make a version's snapshot and null_fields from a library row (alias p_row):
-- one place for the versioning trigger (p_row = 'new') and for asset_sync_attach(), which gives the rows
-- an app already has their first version. jsonb_build_object takes at most 100 arguments, so the
-- snapshot is built in chunks of 40 fields. A json or jsonb field that is SQL NULL is left out of the
-- snapshot and named in null_fields, because its JSON null is a value.

create or replace function assetsync.sql_snapshot(p_fields assetsync.synced_field[], p_row text)
returns table (snapshot text, null_fields text)
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    select coalesce(pg_catalog.string_agg(c.part, E'\n            || ' order by c.chunk), '''{}''::jsonb')
    into snapshot
    from (
        select
            (u.n - 1) / 40 as chunk,
            pg_catalog.format(
                'pg_catalog.jsonb_build_object(%s)',
                pg_catalog.string_agg(pg_catalog.format('%L, %s.%I', u.name, p_row, u.name), ', ' order by u.n)
            ) as part
        from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
        where u.base_type not in ('json', 'jsonb')
        group by (u.n - 1) / 40
        union all
        select
            1000000 + u.n,
            pg_catalog.format(
                'case when %2$s.%1$I is null then ''{}'' else pg_catalog.jsonb_build_object(%1$L, %2$s.%1$I) end',
                u.name, p_row
            )
        from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
        where u.base_type in ('json', 'jsonb')
    ) as c;

    select
        coalesce(
            'pg_catalog.array_remove(array['
            || pg_catalog.string_agg(
                pg_catalog.format('case when %s.%I is null then %L end', p_row, u.name, u.name), ', ' order by u.n
            )
            || ']::text[], null)',
            '''{}'''
        )
    into null_fields
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
    where u.base_type in ('json', 'jsonb');
    return next;
end;
$fn$;

comment on function assetsync.sql_snapshot(assetsync.synced_field[], text) is
'Code generation helper: the expressions for a version''s snapshot (jsonb, keyed by field name; a json field '
'that is SQL NULL left out) and null_fields (those fields), over the library row p_row.';
