-- Generates the trigger function that journals a linked INSERT (a clone included) as a link row, as if
-- the row had existed unlinked with the inserted values. An AFTER trigger, because the journal row
-- references the copy; the UPDATEs of a copy are journaled by the tracking trigger itself.

create or replace function assetsync.generate_tg_project_assets__journal(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_project_assets__journal',
        p_for.fields,
        'assetsync.tg_project_assets__journal',
        '',
        '',
        'trigger',
        '{volatile}',
        assetsync.sql_render($tpl$
declare
    v_new jsonb;
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op <> 'INSERT' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT ... FOR EACH ROW trigger on {copies}.';
    end if;
    -- As if the row had existed unlinked with the inserted values: nothing overridden, no conflict.
    v_new := assetsync.copy_state(new);
    perform assetsync.journal(
        'link',
        new.{copies_key},
        v_new || '{"overridden": [], "conflicts": {}, "global_version": null, "global_asset_id": null}',
        v_new
    );
    return null;
end;
$tpl$, p_for.pair, false),
        'Trigger function of <copies>_900_journal_on_insert (AFTER INSERT, per row, when the row is linked): '
        'journals the link, as if the row had existed unlinked with the inserted values. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_project_assets__journal(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_project_assets__journal(); called by asset_sync_refresh().';
