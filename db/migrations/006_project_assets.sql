-- 006: project assets, the per-project copies of library assets.
--
-- The synced fields (name .. visual_style_capsule_id) mirror global_assets by name and type; the
-- bookkeeping columns after them belong to the library functions. Trigger project_assets_100_track
-- marks edited fields in overridden_fields and links rows to their global.

create table public.project_assets (
    id uuid primary key default gen_random_uuid(),
    project_id uuid not null references public.projects (id) on delete cascade,
    global_asset_id uuid references public.global_assets (id) on delete set null,
    name text not null,
    asset_type text not null
    constraint project_assets_asset_type_is_known check (asset_type in ('character', 'location', 'prop')),
    description text,
    image_key_url text,
    visual_style_capsule_id uuid,
    global_version integer
    constraint project_assets_global_version_is_positive check (global_version >= 1),
    last_synced_at timestamptz,
    overridden_fields text[] not null default '{}'
    constraint project_assets_overridden_fields_have_no_null check (array_position(overridden_fields, null) is null),
    sync_conflicts jsonb not null default '{}'
    constraint project_assets_sync_conflicts_is_object check (jsonb_typeof(sync_conflicts) = 'object'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create index project_assets_global_asset_id_idx on public.project_assets (global_asset_id)
where global_asset_id is not null;

create index project_assets_project_id_idx on public.project_assets (project_id);

comment on table public.project_assets is
'Per-project copies of library assets. A copy linked by global_asset_id is updated by sync_project_asset() '
'and friends, which never overwrite a field listed in overridden_fields. Any UPDATE that changes a synced '
'field (whoever issues it) adds the field to overridden_fields. Row-level security: a caller sees and '
'changes only the assets of the projects it owns, and links only its own global assets.';
comment on column public.project_assets.id is 'Primary key, generated.';
comment on column public.project_assets.project_id is 'The project holding the copy; deleted with it.';
comment on column public.project_assets.global_asset_id is
'The library original this copy follows, or NULL for a local asset. Setting it links the copy (records '
'global_version, marks fields that differ from the global as overridden); setting it to NULL detaches it. '
'Deleting the global asset sets it to NULL and keeps every value of the copy.';
comment on column public.project_assets.name is 'Synced field: see global_assets.name.';
comment on column public.project_assets.asset_type is 'Synced field: see global_assets.asset_type.';
comment on column public.project_assets.description is 'Synced field: see global_assets.description.';
comment on column public.project_assets.image_key_url is 'Synced field: see global_assets.image_key_url.';
comment on column public.project_assets.visual_style_capsule_id is
'Synced field: see global_assets.visual_style_capsule_id.';
comment on column public.project_assets.global_version is
'The global version last pulled (the base of the next three-way sync). Written only by the library: a '
'client write is rejected (22023). Kept when the copy is detached.';
comment on column public.project_assets.last_synced_at is
'When the copy was last linked or synced. Written only by the library (22023 for a client write).';
comment on column public.project_assets.overridden_fields is
'Synced fields edited in this project, as a set: a sync keeps their local value. Maintained by trigger '
'project_assets_100_track; a client may remove names to un-protect a field, and may only write synced '
'field names (23514).';
comment on column public.project_assets.sync_conflicts is
'Open conflicts, keyed by field: {"base", "local", "global", "global_version", "detected_at"}, written '
'by a sync when the library changed a field this project overrode. Cleared by resolve_sync_conflict(), '
'revert_project_asset_fields() and relinking; a detached copy keeps them as a record. Written only by the '
'library (22023).';
comment on column public.project_assets.created_at is 'When the copy was created.';
comment on column public.project_assets.updated_at is 'When the row was last updated; maintained by the database.';
comment on index public.project_assets_global_asset_id_idx is
'Finds the copies of a global asset (fan-out sync, detach on delete); local assets are left out.';
comment on index public.project_assets_project_id_idx is 'Finds the assets of a project (sync_project, RLS).';
comment on index public.global_assets_owner_id_idx is 'Serves the row-level security predicate owner_id = caller.';

alter table public.project_assets enable row level security;

create policy project_assets_project_owner_all on public.project_assets
for all
using (
    exists (
        select
        from public.projects as p
        where p.id = project_id and p.owner_id = (select public.request_user_id())
    )
)
with check (
    exists (
        select
        from public.projects as p
        where p.id = project_id and p.owner_id = (select public.request_user_id())
    )
    and (
        global_asset_id is null
        or exists (
            select
            from public.global_assets as g
            where g.id = global_asset_id and g.owner_id = (select public.request_user_id())
        )
    )
);

comment on policy project_assets_project_owner_all on public.project_assets is
'A caller reads and writes the assets of the projects it owns, and may link them only to global assets '
'it owns.';
