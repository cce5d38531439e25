-- The type of a table's column as format_type prints it (typmod included): what the generated functions
-- declare for the attached keys, so that a bigint key gives sync_project_asset(bigint).

create or replace function assetsync.column_type(p_table regclass, p_column name)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return (
        select pg_catalog.format_type(a.atttypid, a.atttypmod)
        from pg_catalog.pg_attribute as a
        where a.attrelid = p_table and a.attname = p_column and a.attnum > 0 and not a.attisdropped
    );
end;
$fn$;

comment on function assetsync.column_type(regclass, name) is
'The type of column p_column of table p_table as format_type() prints it, or NULL when there is no such column.';
