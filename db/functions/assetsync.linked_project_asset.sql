-- The read-only twin of assetsync.lock_project_asset(), for previews: same checks and errors, no locks.

create or replace function assetsync.linked_project_asset(p_project_asset_id uuid)
returns public.project_assets
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_row public.project_assets;
begin
    if p_project_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_asset_id must not be NULL',
            hint = 'Pass the id of a project asset.';
    end if;
    select pa.* into v_row from public.project_assets as pa where pa.id = p_project_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project asset %s does not exist or is not visible', p_project_asset_id),
            hint = 'Check the id, and that the caller owns the project.';
    end if;
    if v_row.global_asset_id is null then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('project asset %s is not linked to a global asset', p_project_asset_id),
            hint = 'Link it by setting global_asset_id, or clone a global asset with clone_global_asset().';
    end if;
    perform from public.global_assets as g where g.id = v_row.global_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format(
                'global asset %s of project asset %s does not exist or is not visible',
                v_row.global_asset_id, p_project_asset_id
            ),
            hint = 'A caller can compare only with global assets it owns.';
    end if;
    return v_row;
end;
$fn$;

comment on function assetsync.linked_project_asset(uuid) is
'Returns a visible, linked project asset without locking it: 22004 for NULL, P0002 when it or its global '
'does not exist or is not visible, 55000 when it is not linked. Used by project_asset_diff().';
