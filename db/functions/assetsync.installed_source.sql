-- The body of an installed function, or NULL when it does not exist: what asset_sync_refresh() compares
-- a freshly generated body with, so that it replaces nothing that is already current.

create or replace function assetsync.installed_source(p_signature text)
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

comment on function assetsync.installed_source(text) is
'The source (prosrc) of the function with this signature, or NULL when there is none. Used by '
'asset_sync_refresh() to replace only generated functions whose source changed.';
