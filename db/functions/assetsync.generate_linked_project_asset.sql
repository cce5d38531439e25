-- The read-only twin of assetsync.lock_project_asset(), for previews: same checks and errors, no locks.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_linked_project_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_linked_project_asset',
        p_for.fields,
        'assetsync.linked_project_asset',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies}', p_for.pair, false),
        array['stable'],
        assetsync.sql_render(
            $tpl$declare
    v_row {copies};
begin
    if p_project_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_asset_id must not be NULL',
            hint = 'Pass the id of a project asset.';
    end if;
    select pa.* into v_row from {copies} as pa where pa.{copies_key} = p_project_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project asset %s does not exist or is not visible', p_project_asset_id),
            hint = 'Check the id, and that the caller owns the project.';
    end if;
    if v_row.{link} is null then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('project asset %s is not linked to a global asset', p_project_asset_id),
            hint = 'Link it by setting global_asset_id, or clone a global asset with clone_global_asset().';
    end if;
    perform from {library} as g where g.{library_key} = v_row.{link};
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format(
                'global asset %s of project asset %s does not exist or is not visible',
                v_row.{link}, p_project_asset_id
            ),
            hint = 'A caller can compare only with global assets it owns.';
    end if;
    return v_row;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Returns a visible, linked project asset without locking it: 22004 for NULL, P0002 when it or its global '
        'does not exist or is not visible, 55000 when it is not linked. Used by project_asset_diff().'
    );
end;
$gen$;

comment on function assetsync.generate_linked_project_asset(assetsync.generator_input) is
'Generator of assetsync.linked_project_asset(); called by asset_sync_refresh().';
