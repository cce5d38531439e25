-- Forgets an API role and revokes everything assetsync granted it: `assetsync migrate --revoke-from ROLE`.
--
-- Why also for a role never recorded: it takes away what default privileges gave it on assetsync's
-- objects; the app's own objects are not touched.

create or replace function assetsync.revoke_from(p_role name)
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
    delete from assetsync.api_grantees as g
    where g.role_name = p_role;
    if not found and not exists (select from pg_catalog.pg_roles as r where r.rolname = p_role) then
        raise exception using
            errcode = '42704',
            message = pg_catalog.format('role %I does not exist and is not a recorded API role', p_role),
            detail = 'Nothing was revoked.',
            hint = 'Check the name: select role_name from assetsync.api_grantees lists the recorded roles.';
    end if;
    perform assetsync.apply_privileges();
end;
$fn$;

comment on function assetsync.revoke_from(name) is
'Removes p_role from assetsync.api_grantees and revokes every privilege it holds on assetsync''s objects '
'(the app''s own objects keep theirs). 42704 when the role neither exists nor is recorded, 22004 for NULL; '
'owner only.';
