-- Pull every linked asset of a project that is behind its global.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_sync_project(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_sync_project',
        p_for.fields,
        'public.sync_project',
        assetsync.sql_render('p_project_id {projects_key_type}', p_for.pair, false),
        assetsync.sql_render('{projects_key_type}', p_for.pair, false),
        assetsync.sql_render('integer', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$declare
    v_ids {copies_key_type}[];
begin
    if p_project_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_id must not be NULL',
            hint = 'Pass the id of a project.';
    end if;
    perform from {projects} as p where p.{projects_key} = p_project_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project %s does not exist or is not visible', p_project_id),
            hint = 'Check the id, and that the caller owns the project.';
    end if;
    -- Lock order: the globals by id, then the project assets by id.
    perform
    from {library} as g
    where g.{library_key} in (
        select pa.{link}
        from {copies} as pa
        where pa.{project} = p_project_id and pa.{link} is not null
    )
    order by g.{library_key}
    for key share;
    select pg_catalog.array_agg(l.id order by l.id) into v_ids
    from (
        select pa.{copies_key} as id
        from {copies} as pa
        inner join {library} as g on pa.{link} = g.{library_key}
        where pa.{project} = p_project_id and pa.global_version < g.version
        order by pa.{copies_key}
        for update of pa
    ) as l;
    if v_ids is null then
        return 0;
    end if;
    return (select count(*) from assetsync.pull(v_ids));
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Runs the sync of sync_project_asset() for every linked asset of the project that is behind its global '
        '(global_version lower than the global''s version); returns how many it synced. Errors: 22004 NULL, P0002 '
        'unknown or not visible.'
    );
end;
$gen$;

comment on function assetsync.generate_sync_project(assetsync.generator_input) is
'Generator of public.sync_project(); called by asset_sync_refresh().';
