-- Push: the linked global takes a copy's values of its overridden fields as one new version, then the copy
-- is synced and the pushed fields are no longer overridden. Journaled as ONE `push` row: the sync it runs
-- writes no `sync` row of its own ("assetsync.journal_by_caller", set for the call, tells
-- assetsync.sql_pull_update() so).
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_push_project_asset_fields(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
declare
    v_differs text;
    v_set text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '(%L = any(v_fields) and %s)',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison)
            ),
            E'\n            or ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format('%I = case when %L = any(v_fields) then pa.%I else g.%I end', u.name, u.name, u.name, u.name),
            E',\n        ' order by u.n
        )
    into v_differs, v_set
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_push_project_asset_fields',
        p_for.fields,
        'public.push_project_asset_fields',
        assetsync.sql_render('p_project_asset_id {copies_key_type}, p_fields text[] default null', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}, text[]', p_for.pair, false),
        'integer',
        array['volatile', 'set "assetsync.writer" = ''library''', 'set "assetsync.journal_by_caller" = ''on'''],
        pg_catalog.replace(pg_catalog.replace(assetsync.sql_render(
            $tpl$declare
    v_global_asset_id {library_key_type};
    v_row {copies};
    v_fields text[];
    v_differs boolean;
    v_version integer;
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
    -- Lock order: the global (FOR NO KEY UPDATE: the push updates it), then the copy.
    loop
        select pa.{link} into v_global_asset_id from {copies} as pa where pa.{copies_key} = p_project_asset_id;
        if not found then
            raise exception using
                errcode = 'P0002',
                message = 'project asset ' || p_project_asset_id || ' does not exist or is not visible',
                hint = 'Check the id, and that the caller owns the project.';
        end if;
        if v_global_asset_id is null then
            raise exception using
                errcode = '55000',
                message = 'project asset ' || p_project_asset_id || ' is not linked to a global asset',
                hint = 'Only a linked copy can push to the library.';
        end if;
        -- Without UPDATE on the library a row lock would be 42501; a policy that lets the caller see the
        -- global but not update it hides the row from FOR NO KEY UPDATE: both are "cannot update it".
        if not pg_catalog.has_table_privilege('{library}'::regclass, 'UPDATE') then
            raise exception using
                errcode = 'P0002',
                message = 'global asset ' || v_global_asset_id || ' does not exist or the caller cannot update it',
                detail = 'The caller has no UPDATE privilege on the library table.',
                hint = 'A push writes the library: only a caller that may update the global asset can push.';
        end if;
        perform from {library} as g where g.{library_key} = v_global_asset_id for no key update;
        if not found then
            raise exception using
                errcode = 'P0002',
                message = 'global asset ' || v_global_asset_id || ' does not exist or the caller cannot update it',
                detail = 'It is not visible, or no UPDATE policy lets the caller change it.',
                hint = 'A push writes the library: only a caller that may update the global asset can push.';
        end if;
        select pa.* into v_row from {copies} as pa where pa.{copies_key} = p_project_asset_id for update;
        if not found then
            raise exception using
                errcode = 'P0002',
                message = 'project asset ' || p_project_asset_id || ' does not exist or is not visible',
                hint = 'Check the id, and that the caller owns the project.';
        end if;
        exit when v_row.{link} is not distinct from v_global_asset_id;
        -- Relinked or unlinked meanwhile: look again (the lock on the old global is harmless).
    end loop;
    -- The named fields that are overridden (NULL: all of them), in column order.
    v_fields := assetsync.checked_field_names(
        case when p_fields is null then v_row.overridden_fields
        else array(select f from unnest(v_fields) as f where f = any(v_row.overridden_fields)) end
    );
    select
        {push_differs}
    into v_differs
    from {copies} as pa
    inner join {library} as g on g.{library_key} = pa.{link}
    where pa.{copies_key} = p_project_asset_id;
    if v_differs then
        update {library} as g
        set
        {push_set}
        from {copies} as pa
        where pa.{copies_key} = p_project_asset_id and g.{library_key} = v_global_asset_id
        returning g.version into v_version;
        if not found then
            raise exception using
                errcode = 'P0002',
                message = 'global asset ' || v_global_asset_id || ' does not exist or the caller cannot update it',
                detail = 'The UPDATE of the global asset affected no row.',
                hint = 'A push writes the library: only a caller that may update the global asset can push.';
        end if;
    else
        select g.version into v_version from {library} as g where g.{library_key} = v_global_asset_id;
    end if;
    -- The copy catches up with the global (its own "sync" journal row is left out: the push journals
    -- the whole operation), then the pushed fields are the global's again and no longer overridden.
    perform assetsync.pull_one(p_project_asset_id);
    perform assetsync.revert_fields(p_project_asset_id, v_fields);
    perform assetsync.journal(
        'push', p_project_asset_id, assetsync.copy_state(v_row), assetsync.copy_state(
            (select pa from {copies} as pa where pa.{copies_key} = p_project_asset_id)
        )
    );
    return v_version;
end;
$tpl$,
            p_for.pair,
            false
        ), '{push_differs}', coalesce(v_differs, 'false')), '{push_set}', v_set),
        'Push: the linked global asset takes the copy''s current values of the named fields (NULL: every overridden '
        'field; a named field that is not overridden is left out) as one new version, then the copy is synced and '
        'the pushed fields are no longer overridden and lose their conflict entries. Nothing differing makes no '
        'version. Journaled as one push row. Returns the global''s version. Errors: 22004 NULL id, 22023 a name '
        'that is not a synced field, P0002 copy unknown or not visible, or a global the caller cannot update, '
        '55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_push_project_asset_fields(assetsync.generator_input) is
'Generator of public.push_project_asset_fields(); called by asset_sync_refresh().';
