-- 021: a journal row costs less to insert (issue 18). Each first mark inserts one row from the tracking
-- trigger, so every statement-level cost of that INSERT is paid per row:
-- - the kind check becomes a regular expression: a CHECK is read back from its stored node tree for every
--   statement, and the 9-element array of `kind in (...)` was a tenth of a first mark's time;
-- - a client's INSERT is refused by a statement-level trigger instead of a PL/pgSQL call per row: its WHEN
--   clause is false inside a trigger (a first mark's row), and a library function's insert (a sync's rows)
--   calls it once per statement; the row trigger keeps refusing UPDATE and DELETE.
-- The journal is made by asset_sync_refresh() (assetsync.create_journal_table), so on a new install it
-- does not exist yet here, and the create function makes it in this shape. It is safe to run again.

do $migration$
begin
    if pg_catalog.to_regclass('public.project_asset_changes') is null then
        return;
    end if;
    alter table public.project_asset_changes
    drop constraint project_asset_changes_kind_is_known;
    alter table public.project_asset_changes
    add constraint project_asset_changes_kind_is_known check (
        kind ~ '^(link|unlink|override|unprotect|sync|resolve|revert|push|undo)$'
    );
    drop trigger project_asset_changes_100_append_only on public.project_asset_changes;
    drop trigger if exists project_asset_changes_100_insert_only_by_library on public.project_asset_changes;
    create trigger project_asset_changes_100_append_only
    before update or delete on public.project_asset_changes
    for each row execute function assetsync.tg_project_asset_changes__append_only();
    create trigger project_asset_changes_100_insert_only_by_library
    before insert on public.project_asset_changes
    for each statement
    when (pg_catalog.pg_trigger_depth() < 1)
    execute function assetsync.tg_project_asset_changes__append_only();
    comment on trigger project_asset_changes_100_append_only on public.project_asset_changes is
    'Refuses (42501) every UPDATE, and a DELETE other than the cascade of its copy''s DELETE.';
    comment on trigger project_asset_changes_100_insert_only_by_library on public.project_asset_changes is
    'Refuses (42501) an INSERT that is neither the library''s (SET assetsync.writer = ''library'') nor made by a '
    'trigger; once per statement, and not called at all inside a trigger (its WHEN).';
end;
$migration$;
