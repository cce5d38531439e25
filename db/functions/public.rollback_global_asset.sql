-- Restore a library asset to an earlier version, as a new version: history is never rewritten.

create or replace function public.rollback_global_asset(p_global_asset_id uuid, p_version integer)
returns integer
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_snapshot jsonb;
    v_null_fields text[];
begin
    if p_global_asset_id is null or p_version is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL', case when p_global_asset_id is null then 'p_global_asset_id' else 'p_version' end
            ),
            hint = 'Pass the id of a global asset and one of its versions.';
    end if;
    perform from public.global_assets as g where g.id = p_global_asset_id for no key update;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    select v.snapshot, v.null_fields into v_snapshot, v_null_fields
    from public.global_asset_versions as v
    where v.global_asset_id = p_global_asset_id and v.version = p_version;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s has no version %s', p_global_asset_id, p_version),
            hint = 'See global_asset_versions for the versions it has.';
    end if;
    return assetsync.apply_snapshot(p_global_asset_id, v_snapshot, v_null_fields);
end;
$fn$;

comment on function public.rollback_global_asset(uuid, integer) is
'Restores the synced fields of a global asset from the snapshot of an earlier version, as a new version '
'(history is kept); a field missing from that snapshot keeps its current value. Returns the new version, or '
'the current one when the snapshot equals the current values (no version is made). Errors: 22004 NULL, '
'P0002 unknown or not visible asset, or a version it does not have.';

-- Least privilege: the API role is granted EXECUTE explicitly (README, Security).
revoke execute on function public.rollback_global_asset(uuid, integer) from public;
