-- Fan-out: pull one global asset into every linked copy the caller may see, as one set-based UPDATE.

create or replace function public.sync_global_asset(p_global_asset_id uuid)
returns integer
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
begin
    if p_global_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_global_asset_id must not be NULL',
            hint = 'Pass the id of a global asset.';
    end if;
    -- Lock order: the global, then its copies by id (as in assetsync.lock_project_asset).
    perform from public.global_assets as g where g.id = p_global_asset_id for key share;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    perform
    from public.project_assets as pa
    where pa.global_asset_id = p_global_asset_id
    order by pa.id
    for update;
    return assetsync.pull_global(p_global_asset_id);
end;
$fn$;

comment on function public.sync_global_asset(uuid) is
'Runs the sync of sync_project_asset() for every project asset linked to this global asset that the caller '
'may see, as one set-based UPDATE (rows locked in id order); returns how many copies it visited, up-to-date '
'ones included. Errors: 22004 NULL, P0002 unknown or not visible.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.sync_global_asset(uuid) from public;
