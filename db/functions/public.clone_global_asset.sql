-- Copy a library asset into a project, linked and with nothing overridden.

create or replace function public.clone_global_asset(p_global_asset_id uuid, p_project_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
begin
    if p_global_asset_id is null or p_project_id is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL', case when p_global_asset_id is null then 'p_global_asset_id' else 'p_project_id' end
            ),
            hint = 'Pass the id of a global asset and of a project.';
    end if;
    perform from public.global_assets as g where g.id = p_global_asset_id for key share;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'A caller can clone only global assets it owns.';
    end if;
    perform from public.projects as p where p.id = p_project_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project %s does not exist or is not visible', p_project_id),
            hint = 'A caller can clone only into projects it owns.';
    end if;
    return assetsync.clone(p_global_asset_id, p_project_id);
end;
$fn$;

comment on function public.clone_global_asset(uuid, uuid) is
'Inserts a copy of the global asset into the project, linked to it at its current version with nothing '
'overridden; returns the new project asset''s id. Errors: 22004 NULL, P0002 when the global asset or the '
'project does not exist or is not visible.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.clone_global_asset(uuid, uuid) from public;
