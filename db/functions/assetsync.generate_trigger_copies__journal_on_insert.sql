-- Generates the trigger {copies}_900_journal_on_insert, which calls assetsync.tg_project_assets__journal()
-- only for the rows the journal records, so that other writes pay nothing for it. Named after its table.

create or replace function assetsync.generate_trigger_copies__journal_on_insert(
    p_for assetsync.generator_input
)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = (p_for.pair).copies)
        || '_900_journal_on_insert';
begin
    return row(
        v_name,
        pg_catalog.format(
            E'create or replace trigger %1$I\nafter insert on %2$s\nfor each row\nwhen (new.%3$I is not null)\n'
            || E'execute function assetsync.tg_project_assets__journal();\n\n'
            || E'comment on trigger %1$I on %2$s is %4$L;\n',
            v_name,
            (p_for.pair).copies,
            (p_for.pair).link_column,
            'Journals a linked INSERT (a clone included) as a link row; '
            || 'see assetsync.tg_project_assets__journal().'
        ),
        'trigger',
        (p_for.pair).copies::text
    )::assetsync.generated_function;
end;
$fn$;

comment on function assetsync.generate_trigger_copies__journal_on_insert(assetsync.generator_input) is
'Generator of the trigger <copies table>_900_journal_on_insert; called by asset_sync_refresh().';
