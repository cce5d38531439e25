-- 014: the roles that `assetsync migrate --grant-to ROLE` names, remembered.
--
-- Why a table: privileges must be exact whatever the database's default privileges grant (Supabase grants
-- ALL on every new table and function in public to anon, authenticated and service_role, and every new
-- function is executable by PUBLIC). So assetsync.apply_privileges() revokes everything on assetsync's
-- objects from every role but the owner, then grants each role recorded here the API set. Every later
-- migrate, bundle and asset_sync_refresh() runs it again, so newly generated functions get exactly the
-- same grants, until `--revoke-from ROLE` forgets the role.

create table assetsync.api_grantees (
    role_name name primary key,
    granted_at timestamptz not null default now()
);

alter table assetsync.api_grantees enable row level security;

-- An explicit "nobody" policy, as on the migration history: only the owner (the migrating role), who
-- bypasses row-level security, reads or writes it.
create policy api_grantees_owner_only on assetsync.api_grantees
for all using (false) with check (false);

revoke all on table assetsync.api_grantees from public;

-- Upgrading an installation that predates this table (repeatable files were applied before it, which
-- never happens on a fresh install, where every migration runs first): the roles an operator granted
-- USAGE on schema assetsync, as the README's grant block of those versions said, are its API roles.
-- Recording them keeps their API working; the next refresh trims their grants to the exact list.
-- Supabase's default privileges are on schema public only: they make no role an API role here.
insert into assetsync.api_grantees (role_name)
select distinct r.rolname
from pg_catalog.pg_namespace as n
cross join lateral pg_catalog.aclexplode(n.nspacl) as a
inner join pg_catalog.pg_roles as r on a.grantee = r.oid
where
    n.nspname = 'assetsync'
    and a.privilege_type = 'USAGE'
    and a.grantee <> n.nspowner
    and exists (
        select from assetsync.migration_history as h
        where h.kind <> 'migration'
    );

comment on table assetsync.api_grantees is
'The API roles given to `assetsync migrate --grant-to` (or assetsync.grant_to()): each gets exactly the '
'privileges assetsync.api_privileges() lists, re-applied by every migrate, bundle and asset_sync_refresh(), '
'until `--revoke-from` (assetsync.revoke_from()) removes its row. Only the owner reads or writes it.';
comment on column assetsync.api_grantees.role_name is
'The role''s name. A recorded role that was dropped since is skipped with a WARNING.';
comment on column assetsync.api_grantees.granted_at is 'When the role was first granted.';
comment on policy api_grantees_owner_only on assetsync.api_grantees is
'No row for anyone but the table owner (the migrating role), who bypasses row level security.';
