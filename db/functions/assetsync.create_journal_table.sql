-- Creates the journal public.project_asset_changes for the attached copies table: one row per change of
-- a copy's sync state, keyed by the copies' key type, deleted with its copy, under row-level security
-- with policies under which a caller sees and writes exactly the rows of the copies it can see. Called by
-- asset_sync_refresh() before it generates the code that writes it; a no-op when it exists.

create or replace function assetsync.create_journal_table(p_pair assetsync.attachment)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.to_regclass('public.project_asset_changes') is not null then
        return;
    end if;
    perform 'PRAGMA:disable:security_warnings';  -- plpgsql_check: the key type is format_type() output
    execute pg_catalog.format(
        $ddl$
        create table public.project_asset_changes (
            id bigint generated always as identity primary key,
            project_asset_id %1$s not null references %2$s (%3$I) on delete cascade,
            kind text not null constraint project_asset_changes_kind_is_known check (
                kind ~ '^(link|unlink|override|unprotect|sync|resolve|revert|push|undo)$'
            ),
            fields text[] not null default '{}',
            before jsonb not null default '{}',
            after jsonb not null default '{}',
            undoes bigint,
            actor uuid,
            db_role name not null default current_user,
            application_name text,
            transaction_id bigint not null default pg_catalog.txid_current(),
            created_at timestamptz not null default pg_catalog.now(),
            constraint project_asset_changes_undo_names_a_change check ((kind = 'undo') = (undoes is not null))
        )
        $ddl$,
        assetsync.column_type(p_pair.copies, p_pair.copies_key), p_pair.copies, p_pair.copies_key
    );
    create index project_asset_changes_project_asset_id_idx
    on public.project_asset_changes (project_asset_id, id);
    create index project_asset_changes_undoes_idx on public.project_asset_changes (undoes)
    where undoes is not null;
    alter table public.project_asset_changes enable row level security;
    execute pg_catalog.format(
        'create policy project_asset_changes_visible_select on public.project_asset_changes for select '
        || 'using (exists (select from %s as c where c.%I = project_asset_id))',
        p_pair.copies, p_pair.copies_key
    );
    execute pg_catalog.format(
        'create policy project_asset_changes_visible_insert on public.project_asset_changes for insert '
        || 'with check (exists (select from %s as c where c.%I = project_asset_id))',
        p_pair.copies, p_pair.copies_key
    );
    -- A client's INSERT is refused once per statement: a library function's insert (a sync's rows) calls
    -- the check once, and the WHEN clause spares the rows written inside a trigger (a first mark's) any call.
    create trigger project_asset_changes_100_append_only
    before update or delete on public.project_asset_changes
    for each row execute function assetsync.tg_project_asset_changes__append_only();
    create trigger project_asset_changes_100_insert_only_by_library
    before insert on public.project_asset_changes
    for each statement
    when (pg_catalog.pg_trigger_depth() < 1)
    execute function assetsync.tg_project_asset_changes__append_only();

    comment on table public.project_asset_changes is
    'The journal: one row per change of a copy''s sync state (link, unlink, override, unprotect, sync, resolve, '
    'revert, push, undo) with the fields it altered and their {value, overridden, conflict} before and after. '
    'Append-only, written only by the database, visible exactly as its copy is, deleted with its copy.';
    comment on column public.project_asset_changes.id is 'Increasing in the order of the changes.';
    comment on column public.project_asset_changes.project_asset_id is 'The copy that changed.';
    comment on column public.project_asset_changes.kind is
    'link, unlink, override, unprotect, sync, resolve, revert, push or undo.';
    comment on column public.project_asset_changes.fields is
    'The synced fields whose value, override or conflict entry the change altered (override and unprotect: the '
    'names added or removed), in column order.';
    comment on column public.project_asset_changes.before is
    'Per field {"value", "overridden", "conflict"} before the change ("value" absent for SQL NULL), and '
    'global_version and global_asset_id when the change moved them.';
    comment on column public.project_asset_changes.after is 'The same, after the change.';
    comment on column public.project_asset_changes.undoes is 'For an undo, the change it reversed.';
    comment on column public.project_asset_changes.actor is 'request_user_id() of the caller.';
    comment on column public.project_asset_changes.db_role is
    'current_user: the database role, or the role a foreign-key action ran as.';
    comment on column public.project_asset_changes.application_name is 'The client''s application_name.';
    comment on column public.project_asset_changes.transaction_id is
    'txid_current(): the rows of one fan-out share it.';
    comment on column public.project_asset_changes.created_at is 'now() of the change''s transaction.';
    comment on policy project_asset_changes_visible_select on public.project_asset_changes is
    'A caller reads the journal of the copies it can see.';
    comment on policy project_asset_changes_visible_insert on public.project_asset_changes is
    'The library''s triggers and functions write with the caller''s rights; a client''s own INSERT is refused by '
    'the append-only trigger.';
    comment on trigger project_asset_changes_100_append_only on public.project_asset_changes is
    'Refuses (42501) every UPDATE, and a DELETE other than the cascade of its copy''s DELETE.';
    comment on trigger project_asset_changes_100_insert_only_by_library on public.project_asset_changes is
    'Refuses (42501) an INSERT that is neither the library''s (SET assetsync.writer = ''library'') nor made by a '
    'trigger; once per statement, and not called at all inside a trigger (its WHEN).';
end;
$fn$;

comment on function assetsync.create_journal_table(assetsync.attachment) is
'Creates public.project_asset_changes (the journal) for the attached copies table when it does not exist. '
'Used by asset_sync_refresh().';
