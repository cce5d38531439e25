-- The body of an installed function, or NULL when there is none: what asset_sync_refresh() compares with
-- the body it recorded, to notice a generated function that was dropped or edited by hand.

create or replace function assetsync.installed_body(p_signature text)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return (select p.prosrc from pg_catalog.pg_proc as p where p.oid = pg_catalog.to_regprocedure(p_signature));
end;
$fn$;

comment on function assetsync.installed_body(text) is
'The body (pg_proc.prosrc) of the function with this signature, or NULL when there is none. Used by '
'asset_sync_refresh() to re-create a generated function that was dropped or edited by hand.';
