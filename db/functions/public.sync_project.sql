-- Pull every linked asset of a project that is behind its global.

create or replace function public.sync_project(p_project_id uuid)
returns integer
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
declare
    v_ids uuid[];
begin
    if p_project_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_id must not be NULL',
            hint = 'Pass the id of a project.';
    end if;
    perform from public.projects as p where p.id = p_project_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project %s does not exist or is not visible', p_project_id),
            hint = 'Check the id, and that the caller owns the project.';
    end if;
    -- Lock order: the globals by id, then the project assets by id.
    perform
    from public.global_assets as g
    where g.id in (
        select pa.global_asset_id
        from public.project_assets as pa
        where pa.project_id = p_project_id and pa.global_asset_id is not null
    )
    order by g.id
    for key share;
    select pg_catalog.array_agg(l.id order by l.id) into v_ids
    from (
        select pa.id
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        where pa.project_id = p_project_id and pa.global_version < g.version
        order by pa.id
        for update of pa
    ) as l;
    if v_ids is null then
        return 0;
    end if;
    return (select count(*) from assetsync.pull(v_ids));
end;
$fn$;

comment on function public.sync_project(uuid) is
'Runs the sync of sync_project_asset() for every linked asset of the project that is behind its global '
'(global_version lower than the global''s version); returns how many it synced. Errors: 22004 NULL, P0002 '
'unknown or not visible.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.sync_project(uuid) from public;
