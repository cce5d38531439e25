-- Close one conflict the way the user chose in the side-by-side diff.

create or replace function public.resolve_sync_conflict(p_project_asset_id uuid, p_field text, p_resolution text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
declare
    v_row public.project_assets;
begin
    if p_project_asset_id is null or p_field is null or p_resolution is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL',
                case
                    when p_project_asset_id is null then 'p_project_asset_id'
                    when p_field is null then 'p_field'
                    else 'p_resolution'
                end
            ),
            hint = 'Pass a project asset id, a field name and keep_local or take_global.';
    end if;
    if p_resolution not in ('keep_local', 'take_global') then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('%L is not a conflict resolution', p_resolution),
            hint = 'Use keep_local or take_global.';
    end if;
    perform assetsync.checked_field_names(array[p_field]);
    v_row := assetsync.lock_project_asset(p_project_asset_id, true);
    if not v_row.sync_conflicts ? p_field then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('project asset %s has no sync conflict on field %s', p_project_asset_id, p_field),
            detail = pg_catalog.format(
                'Its conflicts are on: %s.',
                coalesce(nullif(array_to_string(array(select pg_catalog.jsonb_object_keys(v_row.sync_conflicts)), ', '), ''), 'none')
            ),
            hint = 'See project_asset_diff() or project_asset_sync_status for the open conflicts.';
    end if;
    if p_resolution = 'keep_local' then
        -- "The field stays overridden": even if the client un-protected it meanwhile, keeping the local
        -- value means protecting it from the next sync.
        update public.project_assets as pa
        set
            sync_conflicts = pa.sync_conflicts - p_field,
            overridden_fields = case
                when p_field = any(pa.overridden_fields) then pa.overridden_fields
                else pa.overridden_fields || p_field
            end
        where pa.id = p_project_asset_id;
    else
        perform assetsync.revert_fields(p_project_asset_id, array[p_field]);
    end if;
end;
$fn$;

comment on function public.resolve_sync_conflict(uuid, text, text) is
'Resolves the conflict on one field: keep_local drops the conflict entry and the field stays (or becomes '
'again) overridden, so the next sync keeps the local value; '
'take_global reverts the field (as revert_project_asset_fields). Errors: 22004 NULL, 22023 an unknown keyword '
'or field or a field with no conflict entry, P0002 unknown or not visible, 55000 not linked.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.resolve_sync_conflict(uuid, text, text) from public;
