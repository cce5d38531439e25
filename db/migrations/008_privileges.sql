-- 008: least privilege for roles other than the owner.
--
-- PUBLIC gets nothing of assetsync: no schema USAGE, so none of its internals. The API role (for
-- example Supabase's authenticated) is granted exactly what README, Security lists; every function is
-- SECURITY INVOKER, so what a caller can reach is decided by these grants and row-level security.

revoke all on schema assetsync from public;
revoke all on all tables in schema assetsync from public;
revoke all on table public.projects, public.global_assets, public.global_asset_versions, public.project_assets
from public;
revoke all on table public.project_asset_sync_status from public;
