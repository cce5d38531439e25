-- Proposed shapes for the code that asset_sync_refresh() generates, written out for today's five
-- synced fields exactly as a generator would emit them, so that bench/proposals.py can check them
-- against the generated code (same reports, same rows, concurrent edits kept) and measure both in the
-- same run. Installed in the benchmark database only (public.bench_*); nothing here touches db/.
--
-- P1 tracking: the library's own writes skip the tracking trigger in its WHEN clause, before any
--    PL/pgSQL runs (unless they write overridden_fields, which is checked whoever writes it); the
--    library's statements set updated_at themselves. Client writes run the generated function as today.
-- P2 single sync: the checks and locks of lock_project_asset() inline on the fast path (same order:
--    the global FOR KEY SHARE, then the row FOR UPDATE), then one UPDATE whose only parameter is the
--    scalar id (a generic plan without plan_cache_mode), which returns the report by RETURNING ... INTO;
--    the generated code goes through two more PL/pgSQL calls, an id array, and a set-returning pull()
--    whose CTE and result are materialised. Unusual cases go to lock_project_asset() as today.
-- P3 fan-out: every value computed from the target row (EvalPlanQual recomputes it if the row changed),
--    no self-join through a CTE, the base snapshot read only for an overridden field that differs from
--    the global; with P1, the 100,000 library writes do not call the tracking trigger at all.

-- P1 ---------------------------------------------------------------------------------------------

-- Replaces project_assets_100_track (BEFORE INSERT OR UPDATE, no WHEN): the same generated function,
-- but an UPDATE by the library (a sync) that leaves overridden_fields alone never enters PL/pgSQL.
-- The WHEN names no synced column (dropping one needs no CASCADE). Only one small WHEN: a trigger's
-- WHEN is re-prepared (parsed and planned) for every statement, which a single-row UPDATE pays in full.
create trigger bench_p1_update before update on public.project_assets for each row
when (
    pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library'
    or new.overridden_fields is distinct from old.overridden_fields
)
execute function assetsync.tg_project_assets__track();

create trigger bench_p1_insert before insert on public.project_assets for each row
execute function assetsync.tg_project_assets__track();

alter table public.project_assets disable trigger bench_p1_update;
alter table public.project_assets disable trigger bench_p1_insert;

-- P2 ---------------------------------------------------------------------------------------------

create function public.bench_pull_one(p_project_asset_id uuid) returns jsonb
language plpgsql volatile security invoker set search_path = '' as $fn$
declare
    v_report jsonb;
begin
    update public.project_assets as t
    set
        name = f.name,
        asset_type = f.asset_type,
        description = f.description,
        image_key_url = f.image_key_url,
        visual_style_capsule_id = f.visual_style_capsule_id,
        sync_conflicts = f.sync_conflicts,
        global_version = f.to_version,
        last_synced_at = pg_catalog.now(),
        updated_at = pg_catalog.now()
    from (
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
            case when x.o1 then pa.name else g.name end as name,
            case when x.o2 then pa.asset_type else g.asset_type end as asset_type,
            case when x.o3 then pa.description else g.description end as description,
            case when x.o4 then pa.image_key_url else g.image_key_url end as image_key_url,
            case when x.o5 then pa.visual_style_capsule_id else g.visual_style_capsule_id end
                as visual_style_capsule_id,
            pg_catalog.array_remove(array[
                case when not x.o1 and x.d1 then 'name' end,
                case when not x.o2 and x.d2 then 'asset_type' end,
                case when not x.o3 and x.d3 then 'description' end,
                case when not x.o4 and x.d4 then 'image_key_url' end,
                case when not x.o5 and x.d5 then 'visual_style_capsule_id' end
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                case when x.o1 then 'name' end,
                case when x.o2 then 'asset_type' end,
                case when x.o3 then 'description' end,
                case when x.o4 then 'image_key_url' end,
                case when x.o5 then 'visual_style_capsule_id' end
            ]::text[], null) as kept_fields,
            pg_catalog.array_remove(array[
                case when y.c1 then 'name' end,
                case when y.c2 then 'asset_type' end,
                case when y.c3 then 'description' end,
                case when y.c4 then 'image_key_url' end,
                case when y.c5 then 'visual_style_capsule_id' end
            ]::text[], null) as conflict_fields,
            (pa.sync_conflicts - pg_catalog.array_remove(array[
                case when not (x.o1 and x.d1) then 'name' end,
                case when not (x.o2 and x.d2) then 'asset_type' end,
                case when not (x.o3 and x.d3) then 'description' end,
                case when not (x.o4 and x.d4) then 'image_key_url' end,
                case when not (x.o5 and x.d5) then 'visual_style_capsule_id' end
            ]::text[], null))
            || case when y.c1 then pg_catalog.jsonb_build_object('name', pg_catalog.jsonb_build_object(
                'base', pg_catalog.to_jsonb(b.name), 'local', pg_catalog.to_jsonb(pa.name),
                'global', pg_catalog.to_jsonb(g.name), 'global_version', g.version, 'detected_at', pg_catalog.now()
            )) else '{}'::jsonb end
            || case when y.c2 then pg_catalog.jsonb_build_object('asset_type', pg_catalog.jsonb_build_object(
                'base', pg_catalog.to_jsonb(b.asset_type), 'local', pg_catalog.to_jsonb(pa.asset_type),
                'global', pg_catalog.to_jsonb(g.asset_type), 'global_version', g.version, 'detected_at', pg_catalog.now()
            )) else '{}'::jsonb end
            || case when y.c3 then pg_catalog.jsonb_build_object('description', pg_catalog.jsonb_build_object(
                'base', pg_catalog.to_jsonb(b.description), 'local', pg_catalog.to_jsonb(pa.description),
                'global', pg_catalog.to_jsonb(g.description), 'global_version', g.version, 'detected_at', pg_catalog.now()
            )) else '{}'::jsonb end
            || case when y.c4 then pg_catalog.jsonb_build_object('image_key_url', pg_catalog.jsonb_build_object(
                'base', pg_catalog.to_jsonb(b.image_key_url), 'local', pg_catalog.to_jsonb(pa.image_key_url),
                'global', pg_catalog.to_jsonb(g.image_key_url), 'global_version', g.version, 'detected_at', pg_catalog.now()
            )) else '{}'::jsonb end
            || case when y.c5 then pg_catalog.jsonb_build_object('visual_style_capsule_id', pg_catalog.jsonb_build_object(
                'base', pg_catalog.to_jsonb(b.visual_style_capsule_id), 'local', pg_catalog.to_jsonb(pa.visual_style_capsule_id),
                'global', pg_catalog.to_jsonb(g.visual_style_capsule_id), 'global_version', g.version,
                'detected_at', pg_catalog.now()
            )) else '{}'::jsonb end
            as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        left join public.global_asset_versions as v
            on v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
        cross join lateral pg_catalog.jsonb_populate_record(null::public.global_assets, v.snapshot) as b
        cross join lateral (
            select
                'name' = any(pa.overridden_fields) as o1,
                pa.name is distinct from g.name as d1,
                'asset_type' = any(pa.overridden_fields) as o2,
                pa.asset_type is distinct from g.asset_type as d2,
                'description' = any(pa.overridden_fields) as o3,
                pa.description is distinct from g.description as d3,
                'image_key_url' = any(pa.overridden_fields) as o4,
                pa.image_key_url is distinct from g.image_key_url as d4,
                'visual_style_capsule_id' = any(pa.overridden_fields) as o5,
                pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id as d5
            offset 0
        ) as x
        cross join lateral (
            select
                x.o1 and x.d1 and g.name is distinct from b.name as c1,
                x.o2 and x.d2 and g.asset_type is distinct from b.asset_type as c2,
                x.o3 and x.d3 and g.description is distinct from b.description as c3,
                x.o4 and x.d4 and g.image_key_url is distinct from b.image_key_url as c4,
                x.o5 and x.d5 and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id as c5
            offset 0
        ) as y
        where pa.id = p_project_asset_id
    ) as f
    where t.id = f.id
    returning pg_catalog.jsonb_build_object(
        'project_asset_id', f.id,
        'global_asset_id', f.global_asset_id,
        'from_version', f.from_version,
        'to_version', f.to_version,
        'status', case
            when f.to_version = f.from_version and f.updated_fields = '{}' and f.conflict_fields = '{}'
                then 'up_to_date'
            else 'synced'
        end,
        'updated_fields', pg_catalog.to_jsonb(f.updated_fields),
        'kept_fields', pg_catalog.to_jsonb(f.kept_fields),
        'conflict_fields', pg_catalog.to_jsonb(f.conflict_fields)
    ) into v_report;
    return v_report;
end;
$fn$;

-- sync_project_asset(): the fast path takes the locks of lock_project_asset() inline (the global FOR KEY
-- SHARE, then the row FOR UPDATE); anything unusual (NULL, unknown, not linked, not visible, relinked
-- meanwhile) goes to lock_project_asset() as today, which raises or waits and retries.
create function public.bench_sync_project_asset(p_project_asset_id uuid) returns jsonb
language plpgsql volatile security invoker set search_path = '' set "assetsync.writer" = 'library' as $fn$
declare
    v_global_asset_id uuid;
begin
    select pa.global_asset_id into v_global_asset_id
    from public.project_assets as pa
    where pa.id = p_project_asset_id;
    if v_global_asset_id is not null then
        perform from public.global_assets as g where g.id = v_global_asset_id for key share;
        if found then
            perform from public.project_assets as pa
            where pa.id = p_project_asset_id and pa.global_asset_id = v_global_asset_id
            for update;
            if found then
                return public.bench_pull_one(p_project_asset_id);
            end if;
        end if;
    end if;
    perform assetsync.lock_project_asset(p_project_asset_id, true);
    return public.bench_pull_one(p_project_asset_id);
end;
$fn$;

-- P3 ---------------------------------------------------------------------------------------------

-- Every value from the target row t: EvalPlanQual recomputes it if t changed under us. The base
-- snapshot is read only for an overridden field whose local value differs from the global's.
create function public.bench_pull_global(p_global_asset_id uuid) returns integer
language plpgsql volatile security invoker set search_path = '' as $fn$
declare
    v_count integer;
begin
    update public.project_assets as t
    set
        name = case when 'name' = any(t.overridden_fields) then t.name else g.name end,
        asset_type = case when 'asset_type' = any(t.overridden_fields) then t.asset_type else g.asset_type end,
        description = case when 'description' = any(t.overridden_fields) then t.description else g.description end,
        image_key_url = case when 'image_key_url' = any(t.overridden_fields) then t.image_key_url else g.image_key_url end,
        visual_style_capsule_id = case
            when 'visual_style_capsule_id' = any(t.overridden_fields) then t.visual_style_capsule_id
            else g.visual_style_capsule_id
        end,
        sync_conflicts = (t.sync_conflicts - pg_catalog.array_remove(array[
            case when not ('name' = any(t.overridden_fields) and t.name is distinct from g.name) then 'name' end,
            case when not ('asset_type' = any(t.overridden_fields) and t.asset_type is distinct from g.asset_type)
                then 'asset_type' end,
            case when not ('description' = any(t.overridden_fields) and t.description is distinct from g.description)
                then 'description' end,
            case when not ('image_key_url' = any(t.overridden_fields) and t.image_key_url is distinct from g.image_key_url)
                then 'image_key_url' end,
            case when not ('visual_style_capsule_id' = any(t.overridden_fields)
                and t.visual_style_capsule_id is distinct from g.visual_style_capsule_id) then 'visual_style_capsule_id' end
        ]::text[], null))
        || case when 'name' = any(t.overridden_fields) and t.name is distinct from g.name
            and g.name is distinct from (pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).name
        then pg_catalog.jsonb_build_object('name', pg_catalog.jsonb_build_object(
            'base', pg_catalog.to_jsonb((pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).name),
            'local', pg_catalog.to_jsonb(t.name), 'global', pg_catalog.to_jsonb(g.name),
            'global_version', g.version, 'detected_at', pg_catalog.now()
        )) else '{}'::jsonb end
        || case when 'asset_type' = any(t.overridden_fields) and t.asset_type is distinct from g.asset_type
            and g.asset_type is distinct from (pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).asset_type
        then pg_catalog.jsonb_build_object('asset_type', pg_catalog.jsonb_build_object(
            'base', pg_catalog.to_jsonb((pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).asset_type),
            'local', pg_catalog.to_jsonb(t.asset_type), 'global', pg_catalog.to_jsonb(g.asset_type),
            'global_version', g.version, 'detected_at', pg_catalog.now()
        )) else '{}'::jsonb end
        || case when 'description' = any(t.overridden_fields) and t.description is distinct from g.description
            and g.description is distinct from (pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).description
        then pg_catalog.jsonb_build_object('description', pg_catalog.jsonb_build_object(
            'base', pg_catalog.to_jsonb((pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).description),
            'local', pg_catalog.to_jsonb(t.description), 'global', pg_catalog.to_jsonb(g.description),
            'global_version', g.version, 'detected_at', pg_catalog.now()
        )) else '{}'::jsonb end
        || case when 'image_key_url' = any(t.overridden_fields) and t.image_key_url is distinct from g.image_key_url
            and g.image_key_url is distinct from (pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).image_key_url
        then pg_catalog.jsonb_build_object('image_key_url', pg_catalog.jsonb_build_object(
            'base', pg_catalog.to_jsonb((pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).image_key_url),
            'local', pg_catalog.to_jsonb(t.image_key_url), 'global', pg_catalog.to_jsonb(g.image_key_url),
            'global_version', g.version, 'detected_at', pg_catalog.now()
        )) else '{}'::jsonb end
        || case when 'visual_style_capsule_id' = any(t.overridden_fields)
            and t.visual_style_capsule_id is distinct from g.visual_style_capsule_id
            and g.visual_style_capsule_id is distinct from (pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).visual_style_capsule_id
        then pg_catalog.jsonb_build_object('visual_style_capsule_id', pg_catalog.jsonb_build_object(
            'base', pg_catalog.to_jsonb((pg_catalog.jsonb_populate_record(null::public.global_assets, (
                select v.snapshot from public.global_asset_versions as v
                where v.global_asset_id = t.global_asset_id and v.version = t.global_version
            ))).visual_style_capsule_id),
            'local', pg_catalog.to_jsonb(t.visual_style_capsule_id), 'global', pg_catalog.to_jsonb(g.visual_style_capsule_id),
            'global_version', g.version, 'detected_at', pg_catalog.now()
        )) else '{}'::jsonb end,
        global_version = g.version,
        last_synced_at = pg_catalog.now(),
        updated_at = pg_catalog.now()
    from public.global_assets as g
    where g.id = p_global_asset_id and t.global_asset_id = p_global_asset_id;
    get diagnostics v_count = row_count;
    return v_count;
end;
$fn$;

-- sync_global_asset(): the same checks and lock order (the global, then its copies by id), then P3.
create function public.bench_sync_global_asset(p_global_asset_id uuid) returns integer
language plpgsql volatile security invoker set search_path = '' set "assetsync.writer" = 'library' as $fn$
begin
    if p_global_asset_id is null then
        raise exception using errcode = '22004', message = 'p_global_asset_id must not be NULL';
    end if;
    perform from public.global_assets as g where g.id = p_global_asset_id for key share;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id);
    end if;
    perform from public.project_assets as pa
    where pa.global_asset_id = p_global_asset_id
    order by pa.id
    for update;
    return public.bench_pull_global(p_global_asset_id);
end;
$fn$;
