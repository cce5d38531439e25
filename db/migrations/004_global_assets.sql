-- 004: global assets, the library originals that projects clone.
--
-- version is maintained by the database (see trigger global_assets_100_version): every change of a
-- synced field makes a new version whose snapshot lands in global_asset_versions.

create table public.global_assets (
    id uuid primary key default gen_random_uuid(),
    owner_id uuid default public.request_user_id(),
    name text not null,
    asset_type text not null
    constraint global_assets_asset_type_is_known check (asset_type in ('character', 'location', 'prop')),
    description text,
    image_key_url text,
    visual_style_capsule_id uuid,
    version integer not null default 1
    constraint global_assets_version_is_positive check (version >= 1),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create index global_assets_owner_id_idx on public.global_assets (owner_id);

comment on table public.global_assets is
'Library originals (characters, locations, props) that projects clone into project_assets. Every UPDATE '
'that changes a synced field raises version by one and stores a snapshot in global_asset_versions. '
'Row-level security: a caller sees and changes only the global assets it owns.';
comment on column public.global_assets.id is 'Primary key, generated.';
comment on column public.global_assets.owner_id is
'The user whose library holds the asset; defaults to request_user_id().';
comment on column public.global_assets.name is 'Synced field: the asset''s name, e.g. "John Doe".';
comment on column public.global_assets.asset_type is 'Synced field: character, location or prop.';
comment on column public.global_assets.description is 'Synced field: free-text description used for generation.';
comment on column public.global_assets.image_key_url is 'Synced field: URL of the key image.';
comment on column public.global_assets.visual_style_capsule_id is 'Synced field: the visual style capsule applied.';
comment on column public.global_assets.version is
'Current version, maintained by the database: 1 at INSERT, +1 for each UPDATE that changes a synced field. '
'A client write that changes it is rejected (22023).';
comment on column public.global_assets.created_at is 'When the asset was created.';
comment on column public.global_assets.updated_at is 'When the row was last updated; maintained by the database.';

alter table public.global_assets enable row level security;

create policy global_assets_owner_all on public.global_assets
for all
using (owner_id = (select public.request_user_id()))
with check (owner_id = (select public.request_user_id()));

comment on policy global_assets_owner_all on public.global_assets is
'A caller reads, inserts, updates and deletes only the global assets it owns, and cannot give one away.';
