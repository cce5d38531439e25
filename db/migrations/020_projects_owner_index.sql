-- 020: an index on projects.owner_id, for assetsync's own projects table.
--
-- The policy of projects (a caller listing its projects) filters on owner_id, and the copies' policies ask
-- "is this copy's project the caller's?", which PostgreSQL may plan as one lookup of the caller's projects
-- by owner_id: without this index either reads every tenant's projects (docs/scale-out.md).
-- An app's own projects table (migrate --attach) is the app's to index: docs/attach.md says so.

do $projects_owner_index$
begin
    if exists (select from assetsync.attachment as a where a.owns_tables) then
        create index if not exists projects_owner_id_idx on public.projects (owner_id);
        comment on index public.projects_owner_id_idx is
        'The caller''s projects, looked up by the copies'' and the journal''s row-level security policies.';
    end if;
end
$projects_owner_index$;
