-- Records an API role and grants it exactly the API privileges: `assetsync migrate --grant-to ROLE`.
--
-- Why recorded: every later migrate, bundle and asset_sync_refresh() re-applies the grants
-- (assetsync.apply_privileges()), so functions created later get them too, until revoke_from().

create or replace function assetsync.grant_to(p_role name)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_role is null then
        raise exception using
            errcode = '22004',
            message = 'p_role must not be NULL',
            hint = 'Pass the name of the API role, for example authenticated.';
    end if;
    if not exists (select from pg_catalog.pg_roles as r where r.rolname = p_role) then
        raise exception using
            errcode = '42704',
            message = pg_catalog.format('role %I does not exist', p_role),
            detail = 'Nothing was granted or recorded.',
            hint = 'Create the role first (for example: create role authenticated nologin), or check the name.';
    end if;
    if exists (
        select from pg_catalog.pg_namespace as n
        where n.nspname = 'assetsync' and n.nspowner = p_role::regrole
    ) then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('role %I owns assetsync''s objects: it needs no grant', p_role),
            hint = 'Name the role your API connects as, for example authenticated.';
    end if;
    insert into assetsync.api_grantees (role_name)
    values (p_role)
    on conflict (role_name) do nothing;
    perform assetsync.apply_privileges();
end;
$fn$;

comment on function assetsync.grant_to(name) is
'Records p_role as an API role (assetsync.api_grantees) and grants it exactly the privileges of '
'assetsync.api_privileges(), kept through every later migrate, bundle and asset_sync_refresh(). '
'42704 when the role does not exist, 22023 for the owner, 22004 for NULL; owner only.';
