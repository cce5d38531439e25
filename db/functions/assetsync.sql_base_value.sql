-- The SQL expression for a synced field's value in a version snapshot (the base of a sync). Most fields
-- are read from the row that jsonb_to_record makes of the snapshot (alias b); a json or jsonb field is read
-- with -> instead, because jsonb_to_record turns a JSON null into SQL NULL, and a JSON null stored in such
-- a field is a value (a snapshot leaves out a json field that is SQL NULL).

create or replace function assetsync.sql_base_value(p_name text, p_base_type text, p_snapshot text)
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_base_type in ('json', 'jsonb') then
        return pg_catalog.format('(%s -> %L)', p_snapshot, p_name);
    end if;
    return pg_catalog.format('b.%I', p_name);
end;
$fn$;

comment on function assetsync.sql_base_value(text, text, text) is
'Code generation helper: the value of synced field p_name (of base type p_base_type) in the snapshot '
'p_snapshot (an SQL expression): b.field from jsonb_to_record, or snapshot -> ''field'' for json and jsonb '
'fields, so that a JSON null stays a value.';
