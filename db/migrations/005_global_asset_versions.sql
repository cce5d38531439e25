-- 005: the version history of global assets: the base of every three-way sync, and what rollback restores.
--
-- Append-only and written only by the database (trigger global_asset_versions_100_append_only): a row
-- can be inserted only by the versioning trigger, for the asset's current version, and deleted only by
-- the cascade of its asset's DELETE. Clients are granted SELECT only.

create table public.global_asset_versions (
    global_asset_id uuid not null references public.global_assets (id) on delete cascade,
    version integer not null
    constraint global_asset_versions_version_is_positive check (version >= 1),
    snapshot jsonb not null
    constraint global_asset_versions_snapshot_is_object check (jsonb_typeof(snapshot) = 'object'),
    changed_fields text[] not null default '{}',
    created_at timestamptz not null default now(),
    constraint global_asset_versions_pkey primary key (global_asset_id, version)
);

comment on table public.global_asset_versions is
'One row per version of a global asset: the synced fields at that version. Written only by the database '
'(append-only; rows go away only with their asset), so history cannot be forged. A sync compares the '
'project copy with the snapshot at its global_version (the base). Row-level security: a caller sees the '
'versions of the global assets it owns.';
comment on column public.global_asset_versions.global_asset_id is 'The global asset; the history is deleted with it.';
comment on column public.global_asset_versions.version is 'The version number, 1 for the INSERT of the asset.';
comment on column public.global_asset_versions.snapshot is
'The synced fields at this version, as a JSON object keyed by field name. A field added to the tables '
'later is missing from older snapshots and counts as NULL there.';
comment on column public.global_asset_versions.changed_fields is
'The synced fields this version changed, in column order; version 1 lists every synced field.';
comment on column public.global_asset_versions.created_at is 'When the version was made.';

alter table public.global_asset_versions enable row level security;

create policy global_asset_versions_owner_select on public.global_asset_versions
for select
using (
    exists (
        select
        from public.global_assets as g
        where g.id = global_asset_id and g.owner_id = (select public.request_user_id())
    )
);

create policy global_asset_versions_owner_insert on public.global_asset_versions
for insert
with check (
    exists (
        select
        from public.global_assets as g
        where g.id = global_asset_id and g.owner_id = (select public.request_user_id())
    )
);

comment on policy global_asset_versions_owner_select on public.global_asset_versions is
'A caller reads the versions of the global assets it owns.';
comment on policy global_asset_versions_owner_insert on public.global_asset_versions is
'The versioning trigger runs with the caller''s rights and writes versions of the caller''s own assets; '
'a direct INSERT is still refused by trigger global_asset_versions_100_append_only.';
