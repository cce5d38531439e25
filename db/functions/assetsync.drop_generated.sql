-- Drops a generated object that its generator no longer makes under that name (a function whose key
-- type changed with a new attach, a trigger of a table that is no longer attached), so that nothing
-- stale stays behind. Missing objects are skipped.

create or replace function assetsync.drop_generated(p_last assetsync.generated_code)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_last.kind = 'function' and pg_catalog.to_regprocedure(p_last.signature) is not null then
        execute pg_catalog.format('drop function %s', pg_catalog.to_regprocedure(p_last.signature));
    elsif p_last.kind = 'view' and pg_catalog.to_regclass(p_last.signature) is not null then
        execute pg_catalog.format('drop view %s', pg_catalog.to_regclass(p_last.signature));
    elsif p_last.kind = 'trigger' and pg_catalog.to_regclass(p_last.on_table) is not null then
        perform 'PRAGMA:disable:security_warnings';  -- plpgsql_check: %s of a regclass prints it quoted
        execute pg_catalog.format(
            'drop trigger if exists %I on %s', p_last.signature, pg_catalog.to_regclass(p_last.on_table)
        );
    end if;
end;
$fn$;

comment on function assetsync.drop_generated(assetsync.generated_code) is
'Drops the object a row of assetsync.generated_code names (function, view or trigger), if it still exists. '
'Used by asset_sync_refresh() when a generator''s object changed its name, and by uninstall.';
