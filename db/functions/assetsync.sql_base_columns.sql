-- The column definition list with which jsonb_to_record reads a version snapshot: every synced field with
-- the type under its domains, so that a NOT NULL domain does not reject a field that the snapshot lacks
-- (a column added later, or a field that was SQL NULL), and a library-only column is never read at all.

create or replace function assetsync.sql_base_columns(p_fields assetsync.synced_field[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return coalesce(
        (
            select pg_catalog.string_agg(pg_catalog.format('%I %s', u.name, u.base_type), ', ' order by u.n)
            from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
        ),
        -- No synced field at all: jsonb_to_record still needs a column.
        'no_synced_field text'
    );
end;
$fn$;

comment on function assetsync.sql_base_columns(assetsync.synced_field[]) is
'Code generation helper: "name type, ..." for jsonb_to_record(snapshot) as b (...), each synced field with its '
'base type (domains removed), so that a snapshot is read without a domain''s constraints.';
