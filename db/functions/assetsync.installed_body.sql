-- What the catalogue holds for a generated object now, or NULL when it does not exist: what
-- asset_sync_refresh() compares with what it recorded, to re-create a generated function, view or
-- trigger that was dropped or changed by hand.

create or replace function assetsync.installed_body(p_made assetsync.generated_function)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_made.kind = 'view' then
        return pg_catalog.pg_get_viewdef(pg_catalog.to_regclass(p_made.signature));
    elsif p_made.kind = 'trigger' then
        return (
            select pg_catalog.pg_get_triggerdef(t.oid)
            from pg_catalog.pg_trigger as t
            where t.tgrelid = pg_catalog.to_regclass(p_made.on_table) and t.tgname = p_made.signature
        );
    end if;
    return (
        select p.prosrc from pg_catalog.pg_proc as p where p.oid = pg_catalog.to_regprocedure(p_made.signature)
    );
end;
$fn$;

comment on function assetsync.installed_body(assetsync.generated_function) is
'What the catalogue holds now for a generated object (a function''s prosrc, pg_get_viewdef() of a view, '
'pg_get_triggerdef() of a trigger), or NULL when it does not exist. Used by asset_sync_refresh().';
