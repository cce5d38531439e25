-- Undo local edits: give fields the global's current value again and stop protecting them.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_revert_project_asset_fields(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_revert_project_asset_fields',
        p_for.fields,
        'public.revert_project_asset_fields',
        assetsync.sql_render('p_project_asset_id {copies_key_type}, p_fields text[] default null', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}, text[]', p_for.pair, false),
        assetsync.sql_render('text[]', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$declare
    v_row {copies};
    v_fields text[];
begin
    if p_project_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_asset_id must not be NULL',
            hint = 'Pass the id of a project asset.';
    end if;
    if p_fields is not null then
        v_fields := assetsync.checked_field_names(p_fields);
    end if;
    v_row := assetsync.lock_project_asset(p_project_asset_id, true);
    if p_fields is null then
        -- overridden_fields holds only synced names (checked on every write): put them in column order.
        v_fields := assetsync.checked_field_names(v_row.overridden_fields);
    end if;
    perform assetsync.revert_fields(p_project_asset_id, v_fields);
    perform assetsync.journal(
        'revert', p_project_asset_id, assetsync.copy_state(v_row), assetsync.copy_state(
            (select pa from {copies} as pa where pa.{copies_key} = p_project_asset_id)
        )
    );
    return v_fields;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Gives the named fields (NULL: every overridden field) the linked global''s current value again and drops '
        'them from overridden_fields and sync_conflicts; global_version stays. Returns the fields reverted, in column '
        'order (a named field that was not overridden is still reset and returned). Errors: 22004 NULL id, 22023 a '
        'name that is not a synced field, P0002 unknown or not visible, 55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_revert_project_asset_fields(assetsync.generator_input) is
'Generator of public.revert_project_asset_fields(); called by asset_sync_refresh().';
