-- The data of a side-by-side "Update from Global" preview.

create or replace function public.project_asset_diff(p_project_asset_id uuid)
returns table (
    field text,
    local_value jsonb,
    global_value jsonb,
    base_value jsonb,
    overridden boolean,
    state text
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    perform assetsync.linked_project_asset(p_project_asset_id);
    return query select d.* from assetsync.diff(p_project_asset_id) as d;
end;
$fn$;

comment on function public.project_asset_diff(uuid) is
'One row per synced field in column order: local, global and base (snapshot at global_version) values as '
'jsonb, whether the field is overridden, and state, the first that applies: conflict (a conflict entry '
'exists, or the field is overridden and the global changed since base to a value that differs from local), '
'in_sync (local equals global), will_update (not overridden: the next sync takes the global value), '
'overridden (overridden, global unchanged since base). Changes nothing. Errors: 22004 NULL, P0002 unknown or '
'not visible, 55000 not linked.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.project_asset_diff(uuid) from public;
