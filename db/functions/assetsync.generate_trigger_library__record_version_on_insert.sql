-- Generates the trigger {library}_500_record_version_on_insert. Version 1 of each new library row goes to the history.
-- The trigger is named after its table, so the default tables keep their names
-- (for example project_assets_100_track); generated so that it follows whichever tables are attached.

create or replace function assetsync.generate_trigger_library__record_version_on_insert(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_table regclass := (p_for.pair).library;
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).library) || '_500_record_version_on_insert';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nafter insert on %2$s\nfor each row\n'
            || E'execute function assetsync.tg_global_assets__record_version();\n\ncomment on trigger %1$I on %2$s is %3$L;\n',
            v_name,
            v_table,
            'Stores version 1 of a new library row (every synced field) in the history table.'
        ),
        'trigger',
        v_table::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_library__record_version_on_insert(assetsync.generator_input) is
'Generator of the trigger <library table>_500_record_version_on_insert; called by asset_sync_refresh().';
