-- A real app's database before it adopts assetsync: Supabase-like auth, projects owned by user_id, the
-- seed's global_assets and project_assets with columns of their own (Stage 5 extraction data), NOT NULL
-- columns of the copies' own, foreign keys, the app's row-level security keyed by user_id, rows of which
-- some are linked and edited, and the seed's sync migration already applied (global_asset_id,
-- last_synced_at, overridden_fields present). Used by tests/test_attach.py and bench/.
create schema if not exists app_auth;
create table app_auth.users (id uuid primary key, email text not null);
create or replace function app_auth.uid() returns uuid language sql stable as $$
    select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
$$;

create table public.visual_style_capsules (id uuid primary key default gen_random_uuid(), name text not null);

create table public.projects (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references app_auth.users (id),
    title text not null,
    created_at timestamptz not null default now()
);

create table public.global_assets (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references app_auth.users (id),
    name text not null,
    asset_type text not null check (asset_type in ('character', 'location', 'prop')),
    description text,
    image_key_url text,
    visual_style_capsule_id uuid references public.visual_style_capsules (id),
    extraction_data jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table public.project_assets (
    id uuid primary key default gen_random_uuid(),
    project_id uuid not null references public.projects (id) on delete cascade,
    global_asset_id uuid references public.global_assets (id) on delete set null,
    name text not null,
    asset_type text not null,
    description text,
    image_key_url text,
    visual_style_capsule_id uuid references public.visual_style_capsules (id),
    scene_order integer not null default 0,
    stage5_notes text not null default '',
    last_synced_at timestamptz,
    overridden_fields text[] default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on column public.project_assets.overridden_fields is 'The app''s own words about this column.';

alter table public.projects enable row level security;
alter table public.global_assets enable row level security;
alter table public.project_assets enable row level security;
create policy projects_owner on public.projects for all using (user_id = app_auth.uid());
create policy global_assets_owner on public.global_assets for all using (user_id = app_auth.uid());
create policy project_assets_owner on public.project_assets for all using (
    exists (select from public.projects as p where p.id = project_id and p.user_id = app_auth.uid())
);
