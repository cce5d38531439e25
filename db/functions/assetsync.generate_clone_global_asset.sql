-- Copy a library asset into a project, linked and with nothing overridden.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_clone_global_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_clone_global_asset',
        p_for.fields,
        'public.clone_global_asset',
        assetsync.sql_render('p_global_asset_id {library_key_type}, p_project_id {projects_key_type}', p_for.pair, false),
        assetsync.sql_render('{library_key_type}, {projects_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$begin
    if p_global_asset_id is null or p_project_id is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL', case when p_global_asset_id is null then 'p_global_asset_id' else 'p_project_id' end
            ),
            hint = 'Pass the id of a global asset and of a project.';
    end if;
    perform from {library} as g where g.{library_key} = p_global_asset_id for key share;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'A caller can clone only global assets it owns.';
    end if;
    perform from {projects} as p where p.{projects_key} = p_project_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project %s does not exist or is not visible', p_project_id),
            hint = 'A caller can clone only into projects it owns.';
    end if;
    return assetsync.clone(p_global_asset_id, p_project_id);
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Inserts a copy of the global asset into the project, linked to it at its current version with nothing '
        'overridden; returns the new project asset''s id. Errors: 22004 NULL, P0002 when the global asset or the '
        'project does not exist or is not visible.'
    );
end;
$gen$;

comment on function assetsync.generate_clone_global_asset(assetsync.generator_input) is
'Generator of public.clone_global_asset(); called by asset_sync_refresh().';
