-- Generates the trigger {library}_600_notice_versions_on_insert: once per statement, it queues the live
-- notices of the library rows an INSERT (or COPY) made, each at version 1. Not deferred: a deferred
-- trigger event pending on the library would make a later ALTER TABLE of it in the same transaction fail
-- (55006); the queue's own deferred trigger sends them at commit.

create or replace function assetsync.generate_trigger_library__notice_versions_on_insert(
    p_for assetsync.generator_input
)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_table regclass := (p_for.pair).library;
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).library) || '_600_notice_versions_on_insert';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nafter insert on %2$s\nreferencing new table as new_rows\nfor each statement\n'
            || E'execute function assetsync.tg_global_assets__notice_versions_on_insert();\n\ncomment on trigger %1$I on %2$s is %3$L;\n',
            v_name,
            v_table,
            'Queues the live notices (channel assetsync, sent at commit) of the library rows an INSERT (or COPY) made, each at version 1, one queue row per statement.'
        ),
        'trigger',
        v_table::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_library__notice_versions_on_insert(assetsync.generator_input) is
'Generator of the trigger <library table>_600_notice_versions_on_insert; called by asset_sync_refresh().';
