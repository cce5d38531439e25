-- The one column of a table's primary key: what asset_sync_attach() needs of the library and the copies.
-- A table without a primary key, or with a composite one, cannot be attached (42P16).

create or replace function assetsync.single_key_column(p_table regclass)
returns name
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_key name;
begin
    select a.attname into v_key
    from pg_catalog.pg_index as i
    inner join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = p_table and i.indisprimary and i.indnatts = 1;
    if v_key is null then
        raise exception using
            errcode = '42P16',
            message = pg_catalog.format('%s has no one-column primary key', p_table),
            detail = 'assetsync identifies library rows and copies by a primary key of one column, of any type.',
            hint = pg_catalog.format('Add one, for example: alter table %s add primary key (id);', p_table);
    end if;
    return v_key;
end;
$fn$;

comment on function assetsync.single_key_column(regclass) is
'The column of the one-column primary key of p_table; 42P16 when it has none or a composite one. Used by '
'asset_sync_attach().';
