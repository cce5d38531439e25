-- Validates field names passed to a library function: each must be a synced field (22023 naming the
-- first that is not). Returns them as a set in column order, the order every report uses.

create or replace function assetsync.checked_field_names(p_fields text[])
returns text[]
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_synced text[] := assetsync.synced_fields();
    v_bad text;
begin
    select u.field into v_bad
    from unnest(p_fields) with ordinality as u (field, n)
    where u.field is null or u.field <> all(v_synced)
    order by u.n
    limit 1;
    if found then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('%s is not a synced field', coalesce(pg_catalog.quote_literal(v_bad), 'NULL')),
            detail = pg_catalog.format('The synced fields are: %s.', pg_catalog.array_to_string(v_synced, ', ')),
            hint = 'Name synced fields only; bookkeeping columns are not fields.';
    end if;
    return array(
        select s.field
        from unnest(v_synced) with ordinality as s (field, n)
        where s.field = any(p_fields)
        order by s.n
    );
end;
$fn$;

comment on function assetsync.checked_field_names(text[]) is
'Returns the given field names as a set in column order; raises 22023 naming the first one that is not a '
'synced field.';
