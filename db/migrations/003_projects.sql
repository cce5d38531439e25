-- 003: projects, the containers that hold project copies of library assets.

create table public.projects (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    owner_id uuid default public.request_user_id(),
    created_at timestamptz not null default now()
);

comment on table public.projects is
'A project (a story or video production). Its project_assets are per-project copies of library assets. '
'Row-level security: a caller sees and changes only the projects it owns (owner_id = request_user_id()).';
comment on column public.projects.id is 'Primary key, generated.';
comment on column public.projects.name is 'Display name of the project.';
comment on column public.projects.owner_id is
'The user who owns the project; defaults to request_user_id(). Row-level security compares it to the caller.';
comment on column public.projects.created_at is 'When the project was created.';

alter table public.projects enable row level security;

create policy projects_owner_all on public.projects
for all
using (owner_id = (select public.request_user_id()))
with check (owner_id = (select public.request_user_id()));

comment on policy projects_owner_all on public.projects is
'A caller reads, inserts, updates and deletes only its own projects, and cannot give one away.';
