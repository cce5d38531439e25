-- 010: the roles that `assetsync migrate --grant-to ROLE` names, remembered.
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

comment on table assetsync.api_grantees is
'The API roles given to `assetsync migrate --grant-to` (or assetsync.grant_to()): each gets exactly the '
'privileges assetsync.api_privileges() lists, re-applied by every migrate, bundle and asset_sync_refresh(), '
'until `--revoke-from` (assetsync.revoke_from()) removes its row. Only the owner reads or writes it.';
comment on column assetsync.api_grantees.role_name is
'The role''s name. A recorded role that was dropped since is skipped with a WARNING.';
comment on column assetsync.api_grantees.granted_at is 'When the role was first granted.';
comment on policy api_grantees_owner_only on assetsync.api_grantees is
'No row for anyone but the table owner (the migrating role), who bypasses row level security.';
