-- 007: one row per project asset saying where it stands against its library original.
--
-- security_invoker: the view runs with the caller's rights, so row-level security of the tables applies.

create view public.project_asset_sync_status
with (security_invoker = true)
as
select
    pa.id as project_asset_id,
    pa.project_id,
    pa.global_asset_id,
    pa.global_version,
    g.version as latest_version,
    g.version - pa.global_version as versions_behind,
    pa.overridden_fields,
    array(
        select k.key
        from jsonb_object_keys(pa.sync_conflicts) as k (key)
        left join pg_catalog.pg_attribute as a
            on a.attrelid = 'public.project_assets'::regclass and a.attname = k.key and not a.attisdropped
        order by a.attnum, k.key
    ) as conflict_fields,
    case
        when pa.global_asset_id is null and pa.global_version is null then 'local'
        when pa.global_asset_id is null then 'detached'
        when pa.sync_conflicts <> '{}'::jsonb then 'conflict'
        when pa.global_version < g.version then 'behind'
        else 'up_to_date'
    end as state
from public.project_assets as pa
left join public.global_assets as g on pa.global_asset_id = g.id;

comment on view public.project_asset_sync_status is
'Where each project asset stands: state is local (never linked), detached (unlinked after being linked), '
'conflict (has open sync conflicts), behind (the library has newer versions) or up_to_date. Runs with the '
'caller''s rights: a caller sees only its own rows.';
comment on column public.project_asset_sync_status.project_asset_id is 'The project asset.';
comment on column public.project_asset_sync_status.project_id is 'Its project.';
comment on column public.project_asset_sync_status.global_asset_id is 'Its library original, or NULL.';
comment on column public.project_asset_sync_status.global_version is 'The global version it last pulled.';
comment on column public.project_asset_sync_status.latest_version is
'The global''s current version; NULL for local and detached rows.';
comment on column public.project_asset_sync_status.versions_behind is
'latest_version - global_version; NULL for local and detached rows.';
comment on column public.project_asset_sync_status.overridden_fields is 'The fields edited in the project.';
comment on column public.project_asset_sync_status.conflict_fields is
'The fields with an open sync conflict, in column order; empty, never NULL.';
comment on column public.project_asset_sync_status.state is
'local, detached, conflict, behind or up_to_date (the first that applies).';
