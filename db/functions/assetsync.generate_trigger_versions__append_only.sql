-- Generates the trigger {versions}_100_append_only. The history is append-only and written only by the database.
-- The trigger is named after its table, so the default tables keep their names
-- (for example project_assets_100_track); generated so that it follows whichever tables are attached.

create or replace function assetsync.generate_trigger_versions__append_only(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_table regclass := (p_for.pair).versions;
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).versions) || '_100_append_only';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nbefore insert or update or delete on %2$s\nfor each row\n'
            || E'execute function assetsync.tg_global_asset_versions__append_only();\n\ncomment on trigger %1$I on %2$s is %3$L;\n',
            v_name,
            v_table,
            'Refuses (42501) any INSERT that does not come from the versioning trigger of the library, every UPDATE, '
        || 'and every DELETE except the cascade of the library row''s own DELETE.'
        ),
        'trigger',
        v_table::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_versions__append_only(assetsync.generator_input) is
'Generator of the trigger <versions table>_100_append_only; called by asset_sync_refresh().';
