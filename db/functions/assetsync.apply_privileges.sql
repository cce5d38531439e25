-- Makes the privileges on assetsync's objects exactly: the owner's, plus assetsync.api_privileges() for
-- every role recorded in assetsync.api_grantees; nothing for PUBLIC or any other role.
--
-- Why: whatever the database's default privileges grant (Supabase: ALL on every new table and function in
-- public to anon, authenticated and service_role; PostgreSQL: EXECUTE on every new function to PUBLIC),
-- an install or upgrade must not hand out more than the API needs. asset_sync_refresh() calls this at its
-- end, so functions it has just created get the same grants as the others. An object whose ACL is already
-- right is not touched (no catalogue write), so a refresh that changes nothing still does no work.

create or replace function assetsync.apply_privileges()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_owner oid;
    v_role record;
    v_roles oid[] := '{}'::oid[];
    v_object record;
    v_actual text[];
    v_wanted text[];
    v_on text;
    v_grantee name;
    v_privilege text;
begin
    select n.nspowner into v_owner
    from pg_catalog.pg_namespace as n
    where n.nspname = 'assetsync';
    if not found then
        raise exception using
            errcode = '3F000',
            message = 'schema assetsync does not exist',
            hint = 'Install assetsync first: assetsync migrate.';
    end if;
    if not pg_catalog.pg_has_role(current_user, v_owner, 'USAGE') then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format(
                'only the owner of assetsync''s objects (%s) can change their privileges',
                v_owner::regrole
            ),
            detail = pg_catalog.format('The current role is %s.', current_user),
            hint = 'Run assetsync migrate --grant-to / --revoke-from as the role that installed assetsync.';
    end if;
    -- Two runs at once would update the same catalogue rows ("tuple concurrently updated"): take turns.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('assetsync.apply_privileges'));

    for v_role in
        select g.role_name, r.oid
        from assetsync.api_grantees as g
        left join pg_catalog.pg_roles as r on g.role_name = r.rolname
        order by g.role_name
    loop
        if v_role.oid is null then
            raise warning using
                message = pg_catalog.format('role %I, recorded as an API role, does not exist: skipped', v_role.role_name),
                hint = pg_catalog.format('Forget it with assetsync migrate --revoke-from %I.', v_role.role_name);
        else
            v_roles := v_roles || v_role.oid;
        end if;
    end loop;
    for v_object in select * from assetsync.api_privileges() loop
        select coalesce(pg_catalog.array_agg(x.item order by x.item), '{}') into v_actual
        from (
            select pg_catalog.format('%s %s %s', a.grantee, a.privilege_type, a.is_grantable) as item
            from pg_catalog.aclexplode(
                coalesce(
                    v_object.acl,
                    pg_catalog.acldefault(
                        case v_object.object_kind
                            when 'schema' then 'n'
                            when 'table' then 'r'
                            when 'sequence' then 's'
                            when 'function' then 'f'
                            else 'T'
                        end::"char",
                        v_object.owner_oid
                    )
                )
            ) as a
            where a.grantee <> v_object.owner_oid
        ) as x;
        select coalesce(pg_catalog.array_agg(x.item order by x.item), '{}') into v_wanted
        from (
            select pg_catalog.format('%s %s false', r.oid, p.privilege) as item
            from pg_catalog.unnest(v_roles) as r (oid)
            cross join pg_catalog.unnest(v_object.privileges) as p (privilege)
        ) as x;
        continue when v_actual = v_wanted;

        v_on := case v_object.object_kind
            when 'function' then 'function ' || v_object.object_oid::regprocedure::text
            when 'type' then 'type ' || v_object.object_oid::regtype::text
            else v_object.object_kind || ' ' || v_object.object_name
        end;
        execute pg_catalog.format('revoke all on %s from public cascade', v_on);
        for v_grantee in
            select distinct r.rolname
            from pg_catalog.aclexplode(v_object.acl) as a
            inner join pg_catalog.pg_roles as r on a.grantee = r.oid
            where a.grantee <> v_object.owner_oid
        loop
            execute pg_catalog.format('revoke all on %s from %I cascade', v_on, v_grantee);
        end loop;
        for v_grantee in
            select r.rolname
            from pg_catalog.pg_roles as r
            where r.oid = any(v_roles)
            order by r.rolname
        loop
            foreach v_privilege in array v_object.privileges loop
                -- Only privilege keywords reach the statement, whatever the list holds.
                v_privilege := case v_privilege
                    when 'SELECT' then 'select'
                    when 'INSERT' then 'insert'
                    when 'UPDATE' then 'update'
                    when 'DELETE' then 'delete'
                    when 'EXECUTE' then 'execute'
                    when 'USAGE' then 'usage'
                end;
                if v_privilege is null then
                    raise exception using
                        errcode = 'XX000',
                        message = pg_catalog.format('unknown API privilege on %s', v_on),
                        hint = 'assetsync.api_privileges() may list only SELECT, INSERT, UPDATE, DELETE, EXECUTE, USAGE.';
                end if;
                execute pg_catalog.format('grant %s on %s to %I', v_privilege, v_on, v_grantee);
            end loop;
        end loop;
    end loop;
end;
$fn$;

comment on function assetsync.apply_privileges() is
'Revokes every privilege on assetsync''s objects (assetsync.api_privileges()) from PUBLIC and every role '
'but the owner, then grants each existing role of assetsync.api_grantees exactly its API privileges. '
'Objects already right are left alone. Called by asset_sync_refresh(), grant_to() and revoke_from(); '
'only the owner may run it (42501).';
