-- Generates the trigger {copies}_100_track. Tracking and linking of the copies, for every client: app, psql,
-- PostgREST, a DBA. One trigger, so a
-- tracked UPDATE pays for a single PL/pgSQL call.
-- The trigger is named after its table, so the default tables keep their names
-- (for example project_assets_100_track); generated so that it follows whichever tables are attached.

create or replace function assetsync.generate_trigger_copies__track(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_table regclass := (p_for.pair).copies;
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).copies) || '_100_track';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nbefore insert or update on %2$s\nfor each row\n'
            || E'execute function assetsync.tg_project_assets__track();\n\ncomment on trigger %1$I on %2$s is %3$L;\n',
            v_name,
            v_table,
            'Marks each synced field a client UPDATE changes in overridden_fields, links rows whose link column is set or '
        || 'changed, lets rows whose link becomes NULL detach keeping every value, rejects client writes of '
        || 'global_version, last_synced_at and sync_conflicts, and maintains updated_at where it exists. See '
        || 'function assetsync.tg_project_assets__track().'
        ),
        'trigger',
        v_table::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_copies__track(assetsync.generator_input) is
'Generator of the trigger <copies table>_100_track; called by asset_sync_refresh().';
