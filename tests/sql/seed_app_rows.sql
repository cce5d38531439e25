-- Rows for tests/sql/seed_app.sql: :users users, each with a project, :assets library rows and a linked
-- copy of each; one copy in ten has an edited description, one in five has an app-written override name.
insert into app_auth.users (id, email)
select ('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid, 'user' || u || '@example.com'
from generate_series(1, :users) as u;
insert into public.projects (id, user_id, title)
select ('10000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid,
    ('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid, 'Film ' || u
from generate_series(1, :users) as u;
insert into public.global_assets (id, user_id, name, asset_type, description, image_key_url)
select ('20000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
    ('00000000-0000-4000-8000-' || lpad((a % :users + 1)::text, 12, '0'))::uuid,
    'Asset ' || a, (array['character', 'location', 'prop'])[a % 3 + 1], 'a clean suit ' || a, 'img/' || a
from generate_series(1, :assets) as a;
insert into public.project_assets (project_id, global_asset_id, name, asset_type, description, image_key_url,
    overridden_fields)
select ('10000000-0000-4000-8000-' || lpad((a % :users + 1)::text, 12, '0'))::uuid,
    ('20000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
    'Asset ' || a, (array['character', 'location', 'prop'])[a % 3 + 1],
    case when a % 10 = 0 then 'a dirty, torn suit ' || a else 'a clean suit ' || a end, 'img/' || a,
    case when a % 5 = 0 then array['image_key_url', 'not_a_field'] else '{}' end
from generate_series(1, :assets) as a;
