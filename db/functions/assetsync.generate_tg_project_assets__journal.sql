-- Generates the trigger function that journals a client's changes of a copy's sync state: a linked
-- INSERT (a clone included) is a link row, as if the row had existed unlinked with the inserted values;
-- an UPDATE that sets or changes the link is a link row, one that clears it an unlink row (also when the
-- global is deleted); one that removes names from overridden_fields an unprotect row, one that adds
-- names (by editing or by writing them) an override row. AFTER triggers whose WHEN clause lets through
-- only those rows, so an edit of a field that is already overridden never calls it.

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
    v_old jsonb;
    v_new jsonb;
    v_removed text[];
    v_added text[];
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT or AFTER UPDATE ... FOR EACH ROW trigger on {copies}.';
    end if;
    v_new := assetsync.copy_state(new);
    if tg_op = 'INSERT' then
        v_old := v_new || '{"overridden": [], "conflicts": {}, "global_version": null, "global_asset_id": null}';
        perform assetsync.journal('link', new.{copies_key}, v_old, v_new);
        return null;
    end if;
    v_old := assetsync.copy_state(old);
    if old.{link} is distinct from new.{link} then
        perform assetsync.journal(
            case when new.{link} is null then 'unlink' else 'link' end, new.{copies_key}, v_old, v_new
        );
        return null;
    end if;
    v_removed := array(
        select o.name from unnest(old.overridden_fields) as o (name)
        where not (o.name = any(coalesce(new.overridden_fields, '{}')))
    );
    v_added := array(
        select n.name from unnest(new.overridden_fields) as n (name)
        where not (n.name = any(coalesce(old.overridden_fields, '{}')))
    );
    if v_removed <> '{}' then
        perform assetsync.journal('unprotect', new.{copies_key}, v_old, v_new, v_removed);
    end if;
    if v_added <> '{}' then
        perform assetsync.journal('override', new.{copies_key}, v_old, v_new, v_added);
    end if;
    return null;
end;
$tpl$, p_for.pair, false),
        'Trigger function of the journal triggers of the copies (AFTER, per row): journals a linked INSERT or a '
        'link change as link, a cleared link as unlink, names removed from or added to overridden_fields as '
        'unprotect and override. The library''s own writes journal themselves. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_project_assets__journal(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_project_assets__journal(); called by asset_sync_refresh().';
