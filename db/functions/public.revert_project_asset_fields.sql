-- Undo local edits: give fields the global's current value again and stop protecting them.

create or replace function public.revert_project_asset_fields(p_project_asset_id uuid, p_fields text[] default null)
returns text[]
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
declare
    v_row public.project_assets;
    v_fields text[];
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
    v_row := assetsync.lock_project_asset(p_project_asset_id, true);
    if p_fields is null then
        -- overridden_fields holds only synced names (checked on every write): put them in column order.
        v_fields := assetsync.checked_field_names(v_row.overridden_fields);
    end if;
    perform assetsync.revert_fields(p_project_asset_id, v_fields);
    return v_fields;
end;
$fn$;

comment on function public.revert_project_asset_fields(uuid, text[]) is
'Gives the named fields (NULL: every overridden field) the linked global''s current value again and drops '
'them from overridden_fields and sync_conflicts; global_version stays. Returns the fields reverted, in column '
'order (a named field that was not overridden is still reset and returned). Errors: 22004 NULL id, 22023 a '
'name that is not a synced field, P0002 unknown or not visible, 55000 not linked.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.revert_project_asset_fields(uuid, text[]) from public;
