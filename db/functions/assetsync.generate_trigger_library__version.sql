-- Generates the trigger {library}_100_version. Versioning of the library: version starts at 1 and rises by
-- exactly 1 for each UPDATE that changes a
-- synced field.
-- The trigger is named after its table, so the default tables keep their names
-- (for example project_assets_100_track); generated so that it follows whichever tables are attached.

create or replace function assetsync.generate_trigger_library__version(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_table regclass := (p_for.pair).library;
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).library) || '_100_version';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nbefore insert or update on %2$s\nfor each row\n'
            || E'execute function assetsync.tg_global_assets__version();\n\ncomment on trigger %1$I on %2$s is %3$L;\n',
            v_name,
            v_table,
            'Starts version at 1, raises it by 1 for each UPDATE that changes a synced field, rejects client writes of '
        || 'version (22023) and maintains updated_at where it exists. See function '
        || 'assetsync.tg_global_assets__version().'
        ),
        'trigger',
        v_table::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_library__version(assetsync.generator_input) is
'Generator of the trigger <library table>_100_version; called by asset_sync_refresh().';
