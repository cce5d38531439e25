-- Validates a client-written overridden_fields: only synced field names (23514), as a set (duplicates
-- collapse, first occurrence wins); NULL is no override, '{}' (an app's attached overridden_fields may be
-- nullable, and a NULL there would hide every later edit from tracking). Called by the tracking trigger
-- only when a client changed the list.

create or replace function assetsync.checked_overridden_fields(p_fields text[], p_project_asset_id text)
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
    if p_fields is null then
        return '{}'::text[];
    end if;
    select u.field into v_bad
    from unnest(p_fields) with ordinality as u (field, n)
    where u.field is null or u.field <> all(v_synced)
    order by u.n
    limit 1;
    if found then
        raise exception using
            errcode = '23514',
            message = pg_catalog.format(
                'overridden_fields of project asset %s names %s, which is not a synced field',
                p_project_asset_id, coalesce(pg_catalog.quote_literal(v_bad), 'NULL')
            ),
            detail = pg_catalog.format('The synced fields are: %s.', pg_catalog.array_to_string(v_synced, ', ')),
            hint = 'overridden_fields may hold only synced field names.';
    end if;
    return array(
        select u.field
        from unnest(p_fields) with ordinality as u (field, n)
        group by u.field
        order by min(u.n)
    );
end;
$fn$;

comment on function assetsync.checked_overridden_fields(text[], text) is
'Returns overridden_fields as a set (first occurrence kept, duplicates dropped); raises 23514 naming the '
'first name that is not a synced field; NULL becomes ''{}''. Used by the tracking trigger when a client '
'writes the list.';
