-- The named checks and the partial index that assetsync's own copies table has, added to an attached
-- copies table when missing. The checks are NOT VALID: existing rows are not scanned (an attach must take
-- seconds), every new or updated row is checked.

create or replace function assetsync.add_attach_checks(p_copies regclass, p_link name)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = p_copies);
    v_check record;
begin
    perform 'PRAGMA:disable:security_warnings';  -- plpgsql_check: the check expressions are the constants below
    for v_check in
        select b.suffix, b.expression
        from (
            values
            ('global_version_is_positive', 'global_version >= 1'),
            ('overridden_fields_have_no_null', 'pg_catalog.array_position(overridden_fields, null) is null'),
            ('sync_conflicts_is_object', 'pg_catalog.jsonb_typeof(sync_conflicts) = ''object''')
        ) as b (suffix, expression)
    loop
        if not exists (
            select
            from pg_catalog.pg_constraint as c
            where c.conrelid = p_copies and c.conname = pg_catalog.left(v_name || '_' || v_check.suffix, 63)
        ) then
            execute pg_catalog.format(
                'alter table %s add constraint %I check (%s) not valid',
                p_copies, pg_catalog.left(v_name || '_' || v_check.suffix, 63), v_check.expression
            );
        end if;
    end loop;
    -- The partial index of the link column, unless an index already leads with it.
    if not exists (
        select
        from pg_catalog.pg_index as i
        inner join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
        where i.indrelid = p_copies and a.attname = p_link
    ) then
        execute pg_catalog.format(
            'create index %I on %s (%I) where %I is not null',
            pg_catalog.left(v_name || '_' || p_link || '_idx', 63), p_copies, p_link, p_link
        );
    end if;
end;
$fn$;

comment on function assetsync.add_attach_checks(regclass, name) is
'Adds to an attached copies table the named checks of the bookkeeping columns (NOT VALID) and the partial '
'index of the link column, where missing. Used by asset_sync_attach().';
