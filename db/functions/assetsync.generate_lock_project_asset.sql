-- Locks one project asset for a library write, in the project-wide lock order: its global asset first
-- (FOR KEY SHARE, which blocks only the global's DELETE), then the project asset (FOR UPDATE). Fan-out
-- takes the same order (global, then project assets by id), so single and fan-out syncs cannot deadlock,
-- and an edit committed while we waited is read, never overwritten.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_lock_project_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_lock_project_asset',
        p_for.fields,
        'assetsync.lock_project_asset',
        assetsync.sql_render('p_project_asset_id {copies_key_type}, p_need_link boolean', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}, boolean', p_for.pair, false),
        assetsync.sql_render('{copies}', p_for.pair, false),
        array['volatile'],
        assetsync.sql_render(
            $tpl$declare
    v_row {copies};
    v_global_asset_id {library_key_type};
begin
    if p_project_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_asset_id must not be NULL',
            hint = 'Pass the id of a project asset.';
    end if;
    loop
        -- One statement finds the linked global and locks it, the common case.
        select g.{library_key} into v_global_asset_id
        from {library} as g
        where g.{library_key} = (select pa.{link} from {copies} as pa where pa.{copies_key} = p_project_asset_id)
        for key share of g;
        if not found then
            -- Not visible, not linked, or its global not visible: tell which.
            select pa.{link} into v_global_asset_id
            from {copies} as pa
            where pa.{copies_key} = p_project_asset_id;
            if not found then
                raise exception using
                    errcode = 'P0002',
                    message = pg_catalog.format('project asset %s does not exist or is not visible', p_project_asset_id),
                    hint = 'Check the id, and that the caller owns the project.';
            end if;
            if v_global_asset_id is not null then
                perform from {library} as g where g.{library_key} = v_global_asset_id;
                if not found then
                    raise exception using
                        errcode = 'P0002',
                        message = pg_catalog.format(
                            'global asset %s of project asset %s does not exist or is not visible',
                            v_global_asset_id, p_project_asset_id
                        ),
                        hint = 'A caller can sync only from global assets it owns.';
                end if;
                continue;  -- relinked meanwhile: lock the new global first
            end if;
        end if;
        select pa.* into v_row
        from {copies} as pa
        where pa.{copies_key} = p_project_asset_id
        for update;
        if not found then
            raise exception using
                errcode = 'P0002',
                message = pg_catalog.format('project asset %s does not exist or is not visible', p_project_asset_id),
                hint = 'Check the id, and that the caller owns the project.';
        end if;
        exit when v_row.{link} is not distinct from v_global_asset_id;
    end loop;
    if p_need_link and v_row.{link} is null then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('project asset %s is not linked to a global asset', p_project_asset_id),
            detail = case
                when v_row.global_version is null then 'It is a local asset: it was never linked.'
                else pg_catalog.format('It was detached after following version %s of its global.', v_row.global_version)
            end,
            hint = 'Link it by setting global_asset_id, or clone a global asset with clone_global_asset().';
    end if;
    return v_row;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Checks and locks a project asset for a library write: 22004 for NULL, P0002 when it (or its global) does '
        'not exist or is not visible, 55000 when p_need_link and it is not linked. Locks the global FOR KEY SHARE '
        'before the project asset FOR UPDATE, the lock order every sync function uses.'
    );
end;
$gen$;

comment on function assetsync.generate_lock_project_asset(assetsync.generator_input) is
'Generator of assetsync.lock_project_asset(); called by asset_sync_refresh().';
