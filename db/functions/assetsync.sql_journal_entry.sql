-- The SQL expression of one field's journal entry {"value", "overridden", "conflict"} over a row
-- expression of the copies, keyed by the field's name; "value" absent when the field is SQL NULL.

create or replace function assetsync.sql_journal_entry(p_name text, p_row text)
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return pg_catalog.format(
        'pg_catalog.jsonb_build_object(%1$L, pg_catalog.jsonb_build_object(''overridden'', '
        || 'coalesce(%1$L = any(%2$s.overridden_fields), false), ''conflict'', %2$s.sync_conflicts -> %1$L) '
        || '|| case when %2$s.%3$I is null then ''{}''::jsonb '
        || 'else pg_catalog.jsonb_build_object(''value'', %2$s.%3$I) end)',
        p_name, p_row, p_name
    );
end;
$fn$;

comment on function assetsync.sql_journal_entry(text, text) is
'Code generation helper: the SQL expression {"<field>": {"value", "overridden", "conflict"}} over the row '
'expression p_row of the copies; "value" absent for SQL NULL.';
