-- 012: the pair of tables assetsync works on, in one place (issue 14).
--
-- assetsync used to know only public.global_assets and public.project_assets. Now the library table, the
-- copies table and everything the generators need to know of them (the history table, the projects
-- table, key and link columns) are read from this one row, by asset_sync_refresh() and by migrations
-- alike. asset_sync_attach() writes it for an app's own tables; for assetsync's own tables (migrations
-- 003-006) this migration writes it, so that the default install is "create the default tables, then
-- attach them". `assetsync migrate --attach` sets assetsync.attach_mode, skips the migrations that create
-- the default tables, and leaves the row to asset_sync_attach().

create table assetsync.attachment (
    one_pair boolean primary key default true
    constraint attachment_is_one_pair check (one_pair),
    library regclass not null,
    copies regclass not null,
    versions regclass not null,
    projects regclass not null,
    library_key name not null,
    copies_key name not null,
    projects_key name not null,
    link_column name not null,
    project_column name not null,
    excluded_columns text[] not null default '{}',
    options jsonb not null default '{}',
    owns_tables boolean not null,
    added_columns jsonb not null default '[]',
    attached_at timestamptz not null default now()
);

comment on table assetsync.attachment is
'The library table and the copies table that assetsync works on (one pair per database), and what the '
'generators need to know of them. Written by asset_sync_attach() (or, for assetsync''s own tables, by '
'migration 012); read by asset_sync_refresh(). Row-level security is on with a policy that admits no row: '
'only the owner (the migrating role) reads or writes it.';
comment on column assetsync.attachment.one_pair is 'Always true: the primary key that allows one row.';
comment on column assetsync.attachment.library is 'The library table (global assets).';
comment on column assetsync.attachment.copies is 'The copies table (project assets).';
comment on column assetsync.attachment.versions is 'The history table of the library, made by assetsync.';
comment on column assetsync.attachment.projects is
'The table the copies'' project column references: clone and sync_project check visibility there.';
comment on column assetsync.attachment.library_key is 'The one-column primary key of the library.';
comment on column assetsync.attachment.copies_key is 'The one-column primary key of the copies.';
comment on column assetsync.attachment.projects_key is 'The column of projects the project column references.';
comment on column assetsync.attachment.link_column is 'The column of the copies that references the library.';
comment on column assetsync.attachment.project_column is 'The column of the copies that references projects.';
comment on column assetsync.attachment.excluded_columns is
'Columns present in both tables that are not synced (the option exclude).';
comment on column assetsync.attachment.options is 'The options asset_sync_attach() was called with, as given.';
comment on column assetsync.attachment.owns_tables is
'True for assetsync''s own tables (migrations 003-006), false for an app''s attached tables, which '
'`assetsync uninstall` keeps.';
comment on column assetsync.attachment.added_columns is
'What asset_sync_attach() added to the app''s tables, as JSON objects: {"table", "column"} for a column (kept '
'by `uninstall`, dropped with --drop-columns), and entries for the checks, indexes and column comments it made '
'(removed by `uninstall`).';
comment on column assetsync.attachment.attached_at is 'When the pair was attached.';

create type assetsync.generator_input as (
    fields assetsync.synced_field [],
    pair assetsync.attachment
);

comment on type assetsync.generator_input is
'The one argument of every generator (assetsync.generate_*): the synced fields, in column order, and the '
'attached pair whose tables and columns the generated code names.';

alter table assetsync.attachment enable row level security;

create policy attachment_owner_only on assetsync.attachment
for all
using (false)
with check (false);

comment on policy attachment_owner_only on assetsync.attachment is
'No row for anyone but the table owner (the migrating role), who bypasses row level security.';

-- assetsync's own tables (migrations 003-006): attached as they are, with the options' defaults.
do $attach_own_tables$
begin
    if coalesce(current_setting('assetsync.attach_mode', true), '') = 'on' then
        return;
    end if;
    insert into assetsync.attachment (
        library, copies, versions, projects, library_key, copies_key, projects_key, link_column,
        project_column, owns_tables
    )
    values (
        'public.global_assets', 'public.project_assets', 'public.global_asset_versions', 'public.projects',
        'id', 'id', 'id', 'global_asset_id', 'project_id', true
    );
end
$attach_own_tables$;
