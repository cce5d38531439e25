CREATE OR REPLACE FUNCTION assetsync.apply_snapshot(p_global_asset_id uuid, p_snapshot jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
    v_version integer;
begin
    update public.global_assets as g
    set
        name = case when p_snapshot ? 'name' then s.name else g.name end,
        asset_type = case when p_snapshot ? 'asset_type' then s.asset_type else g.asset_type end,
        description = case when p_snapshot ? 'description' then s.description else g.description end,
        image_key_url = case when p_snapshot ? 'image_key_url' then s.image_key_url else g.image_key_url end,
        visual_style_capsule_id = case when p_snapshot ? 'visual_style_capsule_id' then s.visual_style_capsule_id else g.visual_style_capsule_id end
    from pg_catalog.jsonb_populate_record(null::public.global_assets, p_snapshot) as s
    where
        g.id = p_global_asset_id
        and (
            (p_snapshot ? 'name' and s.name is distinct from g.name)
            or (p_snapshot ? 'asset_type' and s.asset_type is distinct from g.asset_type)
            or (p_snapshot ? 'description' and s.description is distinct from g.description)
            or (p_snapshot ? 'image_key_url' and s.image_key_url is distinct from g.image_key_url)
            or (p_snapshot ? 'visual_style_capsule_id' and s.visual_style_capsule_id is distinct from g.visual_style_capsule_id)
        )
    returning g.version into v_version;
    if not found then
        select g.version into v_version from public.global_assets as g where g.id = p_global_asset_id;
    end if;
    return v_version;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.clone(p_global_asset_id uuid, p_project_id uuid)
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
    v_id uuid;
begin
    insert into public.project_assets (project_id, global_asset_id, name, asset_type, description, image_key_url, visual_style_capsule_id)
    select p_project_id, g.id, g.name, g.asset_type, g.description, g.image_key_url, g.visual_style_capsule_id
    from public.global_assets as g
    where g.id = p_global_asset_id
    returning project_assets.id into v_id;
    return v_id;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.diff(p_project_asset_id uuid)
 RETURNS TABLE(field text, local_value jsonb, global_value jsonb, base_value jsonb, overridden boolean, state text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
    return query
    select
        x.field,
        x.l,
        x.g,
        x.b,
        x.ov,
        case
            when pa.sync_conflicts ? x.field or (x.ov and not x.g_eq_b and not x.l_eq_g) then 'conflict'
            when x.l_eq_g then 'in_sync'
            when not x.ov then 'will_update'
            else 'overridden'
        end
    from public.project_assets as pa
    inner join public.global_assets as g on pa.global_asset_id = g.id
    left join public.global_asset_versions as v
        on v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
    cross join lateral pg_catalog.jsonb_populate_record(null::public.global_assets, v.snapshot) as b
    cross join lateral (
        values ('name'::text, 1, 'name' = any(pa.overridden_fields), not (pa.name is distinct from g.name), not (g.name is distinct from b.name),
             pg_catalog.to_jsonb(pa.name), pg_catalog.to_jsonb(g.name), pg_catalog.to_jsonb(b.name)),
            ('asset_type'::text, 2, 'asset_type' = any(pa.overridden_fields), not (pa.asset_type is distinct from g.asset_type), not (g.asset_type is distinct from b.asset_type),
             pg_catalog.to_jsonb(pa.asset_type), pg_catalog.to_jsonb(g.asset_type), pg_catalog.to_jsonb(b.asset_type)),
            ('description'::text, 3, 'description' = any(pa.overridden_fields), not (pa.description is distinct from g.description), not (g.description is distinct from b.description),
             pg_catalog.to_jsonb(pa.description), pg_catalog.to_jsonb(g.description), pg_catalog.to_jsonb(b.description)),
            ('image_key_url'::text, 4, 'image_key_url' = any(pa.overridden_fields), not (pa.image_key_url is distinct from g.image_key_url), not (g.image_key_url is distinct from b.image_key_url),
             pg_catalog.to_jsonb(pa.image_key_url), pg_catalog.to_jsonb(g.image_key_url), pg_catalog.to_jsonb(b.image_key_url)),
            ('visual_style_capsule_id'::text, 5, 'visual_style_capsule_id' = any(pa.overridden_fields), not (pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id), not (g.visual_style_capsule_id is distinct from b.visual_style_capsule_id),
             pg_catalog.to_jsonb(pa.visual_style_capsule_id), pg_catalog.to_jsonb(g.visual_style_capsule_id), pg_catalog.to_jsonb(b.visual_style_capsule_id))
    ) as x (field, ord, ov, l_eq_g, g_eq_b, l, g, b)
    where pa.id = p_project_asset_id
    order by x.ord;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.pull(p_project_asset_ids uuid[])
 RETURNS SETOF jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
begin
    return query
    with s as (
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
            case when 'name' = any(pa.overridden_fields) then pa.name else g.name end as f1,
            case when 'asset_type' = any(pa.overridden_fields) then pa.asset_type else g.asset_type end as f2,
            case when 'description' = any(pa.overridden_fields) then pa.description else g.description end as f3,
            case when 'image_key_url' = any(pa.overridden_fields) then pa.image_key_url else g.image_key_url end as f4,
            case when 'visual_style_capsule_id' = any(pa.overridden_fields) then pa.visual_style_capsule_id else g.visual_style_capsule_id end as f5,
            pg_catalog.array_remove(array[
                case when not ('name' = any(pa.overridden_fields)) and pa.name is distinct from g.name then 'name' end,
                case when not ('asset_type' = any(pa.overridden_fields)) and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                case when not ('description' = any(pa.overridden_fields)) and pa.description is distinct from g.description then 'description' end,
                case when not ('image_key_url' = any(pa.overridden_fields)) and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                case when 'name' = any(pa.overridden_fields) then 'name' end,
                case when 'asset_type' = any(pa.overridden_fields) then 'asset_type' end,
                case when 'description' = any(pa.overridden_fields) then 'description' end,
                case when 'image_key_url' = any(pa.overridden_fields) then 'image_key_url' end,
                case when 'visual_style_capsule_id' = any(pa.overridden_fields) then 'visual_style_capsule_id' end
            ]::text[], null) as kept_fields,
            case when pa.overridden_fields = '{}' then '{}'::text[] else pg_catalog.array_remove(array[
                    case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then 'name' end,
                    case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                    case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then 'description' end,
                    case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                    case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
                ]::text[], null)
            end as conflict_fields,
            case when pa.overridden_fields = '{}' then '{}'::jsonb else
                (pa.sync_conflicts - pg_catalog.array_remove(array[
                    case when not ('name' = any(pa.overridden_fields)) or not (pa.name is distinct from g.name) then 'name' end,
                    case when not ('asset_type' = any(pa.overridden_fields)) or not (pa.asset_type is distinct from g.asset_type) then 'asset_type' end,
                    case when not ('description' = any(pa.overridden_fields)) or not (pa.description is distinct from g.description) then 'description' end,
                    case when not ('image_key_url' = any(pa.overridden_fields)) or not (pa.image_key_url is distinct from g.image_key_url) then 'image_key_url' end,
                    case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) or not (pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id) then 'visual_style_capsule_id' end
                ]::text[], null))
                || coalesce(case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then pg_catalog.jsonb_build_object(
                    'name', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.name), 'local', pg_catalog.to_jsonb(pa.name),
                        'global', pg_catalog.to_jsonb(g.name), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then pg_catalog.jsonb_build_object(
                    'asset_type', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.asset_type), 'local', pg_catalog.to_jsonb(pa.asset_type),
                        'global', pg_catalog.to_jsonb(g.asset_type), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then pg_catalog.jsonb_build_object(
                    'description', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.description), 'local', pg_catalog.to_jsonb(pa.description),
                        'global', pg_catalog.to_jsonb(g.description), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then pg_catalog.jsonb_build_object(
                    'image_key_url', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.image_key_url), 'local', pg_catalog.to_jsonb(pa.image_key_url),
                        'global', pg_catalog.to_jsonb(g.image_key_url), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then pg_catalog.jsonb_build_object(
                    'visual_style_capsule_id', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.visual_style_capsule_id), 'local', pg_catalog.to_jsonb(pa.visual_style_capsule_id),
                        'global', pg_catalog.to_jsonb(g.visual_style_capsule_id), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
            end as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        -- The base (the snapshot at global_version, typed), looked up by primary key and only where a field
        -- is overridden; a function scan, so the planner keeps it a per-row lookup in any plan.
        cross join lateral pg_catalog.jsonb_populate_record(
            null::public.global_assets,
            case when pa.overridden_fields <> '{}' then (
                select v.snapshot
                from public.global_asset_versions as v
                where v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
            ) end
        ) as b
        where pa.id = any(p_project_asset_ids)
    ),
    u as (
        update public.project_assets as t
        set
            name = s.f1,
            asset_type = s.f2,
            description = s.f3,
            image_key_url = s.f4,
            visual_style_capsule_id = s.f5,
            sync_conflicts = s.sync_conflicts,
            global_version = s.to_version,
            last_synced_at = pg_catalog.now()
        from s
        where t.id = s.id
        returning
            pg_catalog.jsonb_build_object(
            'project_asset_id', s.id,
            'global_asset_id', s.global_asset_id,
            'from_version', s.from_version,
            'to_version', s.to_version,
            'status', case
                when s.to_version = s.from_version and s.updated_fields = '{}' and s.conflict_fields = '{}'
                    then 'up_to_date'
                else 'synced'
            end,
            'updated_fields', pg_catalog.to_jsonb(s.updated_fields),
            'kept_fields', pg_catalog.to_jsonb(s.kept_fields),
            'conflict_fields', pg_catalog.to_jsonb(s.conflict_fields)
        ) as report
    )
    select u.report from u;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.pull_global(p_global_asset_id uuid)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
    v_count integer;
begin
    with s as (
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
            case when 'name' = any(pa.overridden_fields) then pa.name else g.name end as f1,
            case when 'asset_type' = any(pa.overridden_fields) then pa.asset_type else g.asset_type end as f2,
            case when 'description' = any(pa.overridden_fields) then pa.description else g.description end as f3,
            case when 'image_key_url' = any(pa.overridden_fields) then pa.image_key_url else g.image_key_url end as f4,
            case when 'visual_style_capsule_id' = any(pa.overridden_fields) then pa.visual_style_capsule_id else g.visual_style_capsule_id end as f5,
            pg_catalog.array_remove(array[
                case when not ('name' = any(pa.overridden_fields)) and pa.name is distinct from g.name then 'name' end,
                case when not ('asset_type' = any(pa.overridden_fields)) and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                case when not ('description' = any(pa.overridden_fields)) and pa.description is distinct from g.description then 'description' end,
                case when not ('image_key_url' = any(pa.overridden_fields)) and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                case when 'name' = any(pa.overridden_fields) then 'name' end,
                case when 'asset_type' = any(pa.overridden_fields) then 'asset_type' end,
                case when 'description' = any(pa.overridden_fields) then 'description' end,
                case when 'image_key_url' = any(pa.overridden_fields) then 'image_key_url' end,
                case when 'visual_style_capsule_id' = any(pa.overridden_fields) then 'visual_style_capsule_id' end
            ]::text[], null) as kept_fields,
            case when pa.overridden_fields = '{}' then '{}'::text[] else pg_catalog.array_remove(array[
                    case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then 'name' end,
                    case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                    case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then 'description' end,
                    case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                    case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
                ]::text[], null)
            end as conflict_fields,
            case when pa.overridden_fields = '{}' then '{}'::jsonb else
                (pa.sync_conflicts - pg_catalog.array_remove(array[
                    case when not ('name' = any(pa.overridden_fields)) or not (pa.name is distinct from g.name) then 'name' end,
                    case when not ('asset_type' = any(pa.overridden_fields)) or not (pa.asset_type is distinct from g.asset_type) then 'asset_type' end,
                    case when not ('description' = any(pa.overridden_fields)) or not (pa.description is distinct from g.description) then 'description' end,
                    case when not ('image_key_url' = any(pa.overridden_fields)) or not (pa.image_key_url is distinct from g.image_key_url) then 'image_key_url' end,
                    case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) or not (pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id) then 'visual_style_capsule_id' end
                ]::text[], null))
                || coalesce(case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then pg_catalog.jsonb_build_object(
                    'name', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.name), 'local', pg_catalog.to_jsonb(pa.name),
                        'global', pg_catalog.to_jsonb(g.name), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then pg_catalog.jsonb_build_object(
                    'asset_type', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.asset_type), 'local', pg_catalog.to_jsonb(pa.asset_type),
                        'global', pg_catalog.to_jsonb(g.asset_type), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then pg_catalog.jsonb_build_object(
                    'description', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.description), 'local', pg_catalog.to_jsonb(pa.description),
                        'global', pg_catalog.to_jsonb(g.description), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then pg_catalog.jsonb_build_object(
                    'image_key_url', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.image_key_url), 'local', pg_catalog.to_jsonb(pa.image_key_url),
                        'global', pg_catalog.to_jsonb(g.image_key_url), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then pg_catalog.jsonb_build_object(
                    'visual_style_capsule_id', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.visual_style_capsule_id), 'local', pg_catalog.to_jsonb(pa.visual_style_capsule_id),
                        'global', pg_catalog.to_jsonb(g.visual_style_capsule_id), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
            end as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        -- The base (the snapshot at global_version, typed), looked up by primary key and only where a field
        -- is overridden; a function scan, so the planner keeps it a per-row lookup in any plan.
        cross join lateral pg_catalog.jsonb_populate_record(
            null::public.global_assets,
            case when pa.overridden_fields <> '{}' then (
                select v.snapshot
                from public.global_asset_versions as v
                where v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
            ) end
        ) as b
        where pa.global_asset_id = p_global_asset_id
    )
    update public.project_assets as t
    set
            name = s.f1,
            asset_type = s.f2,
            description = s.f3,
            image_key_url = s.f4,
            visual_style_capsule_id = s.f5,
        sync_conflicts = s.sync_conflicts,
        global_version = s.to_version,
        last_synced_at = pg_catalog.now()
    from s
    where t.id = s.id;
    get diagnostics v_count = row_count;
    return v_count;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.pull_one(p_project_asset_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
declare
    v_report jsonb;
begin
    with s as (
        select
            pa.id,
            pa.global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
            case when 'name' = any(pa.overridden_fields) then pa.name else g.name end as f1,
            case when 'asset_type' = any(pa.overridden_fields) then pa.asset_type else g.asset_type end as f2,
            case when 'description' = any(pa.overridden_fields) then pa.description else g.description end as f3,
            case when 'image_key_url' = any(pa.overridden_fields) then pa.image_key_url else g.image_key_url end as f4,
            case when 'visual_style_capsule_id' = any(pa.overridden_fields) then pa.visual_style_capsule_id else g.visual_style_capsule_id end as f5,
            pg_catalog.array_remove(array[
                case when not ('name' = any(pa.overridden_fields)) and pa.name is distinct from g.name then 'name' end,
                case when not ('asset_type' = any(pa.overridden_fields)) and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                case when not ('description' = any(pa.overridden_fields)) and pa.description is distinct from g.description then 'description' end,
                case when not ('image_key_url' = any(pa.overridden_fields)) and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                case when 'name' = any(pa.overridden_fields) then 'name' end,
                case when 'asset_type' = any(pa.overridden_fields) then 'asset_type' end,
                case when 'description' = any(pa.overridden_fields) then 'description' end,
                case when 'image_key_url' = any(pa.overridden_fields) then 'image_key_url' end,
                case when 'visual_style_capsule_id' = any(pa.overridden_fields) then 'visual_style_capsule_id' end
            ]::text[], null) as kept_fields,
            case when pa.overridden_fields = '{}' then '{}'::text[] else pg_catalog.array_remove(array[
                    case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then 'name' end,
                    case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then 'asset_type' end,
                    case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then 'description' end,
                    case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then 'image_key_url' end,
                    case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then 'visual_style_capsule_id' end
                ]::text[], null)
            end as conflict_fields,
            case when pa.overridden_fields = '{}' then '{}'::jsonb else
                (pa.sync_conflicts - pg_catalog.array_remove(array[
                    case when not ('name' = any(pa.overridden_fields)) or not (pa.name is distinct from g.name) then 'name' end,
                    case when not ('asset_type' = any(pa.overridden_fields)) or not (pa.asset_type is distinct from g.asset_type) then 'asset_type' end,
                    case when not ('description' = any(pa.overridden_fields)) or not (pa.description is distinct from g.description) then 'description' end,
                    case when not ('image_key_url' = any(pa.overridden_fields)) or not (pa.image_key_url is distinct from g.image_key_url) then 'image_key_url' end,
                    case when not ('visual_style_capsule_id' = any(pa.overridden_fields)) or not (pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id) then 'visual_style_capsule_id' end
                ]::text[], null))
                || coalesce(case when 'name' = any(pa.overridden_fields) and g.name is distinct from b.name and pa.name is distinct from g.name then pg_catalog.jsonb_build_object(
                    'name', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.name), 'local', pg_catalog.to_jsonb(pa.name),
                        'global', pg_catalog.to_jsonb(g.name), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'asset_type' = any(pa.overridden_fields) and g.asset_type is distinct from b.asset_type and pa.asset_type is distinct from g.asset_type then pg_catalog.jsonb_build_object(
                    'asset_type', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.asset_type), 'local', pg_catalog.to_jsonb(pa.asset_type),
                        'global', pg_catalog.to_jsonb(g.asset_type), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'description' = any(pa.overridden_fields) and g.description is distinct from b.description and pa.description is distinct from g.description then pg_catalog.jsonb_build_object(
                    'description', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.description), 'local', pg_catalog.to_jsonb(pa.description),
                        'global', pg_catalog.to_jsonb(g.description), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'image_key_url' = any(pa.overridden_fields) and g.image_key_url is distinct from b.image_key_url and pa.image_key_url is distinct from g.image_key_url then pg_catalog.jsonb_build_object(
                    'image_key_url', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.image_key_url), 'local', pg_catalog.to_jsonb(pa.image_key_url),
                        'global', pg_catalog.to_jsonb(g.image_key_url), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
                || coalesce(case when 'visual_style_capsule_id' = any(pa.overridden_fields) and g.visual_style_capsule_id is distinct from b.visual_style_capsule_id and pa.visual_style_capsule_id is distinct from g.visual_style_capsule_id then pg_catalog.jsonb_build_object(
                    'visual_style_capsule_id', pg_catalog.jsonb_build_object(
                        'base', pg_catalog.to_jsonb(b.visual_style_capsule_id), 'local', pg_catalog.to_jsonb(pa.visual_style_capsule_id),
                        'global', pg_catalog.to_jsonb(g.visual_style_capsule_id), 'global_version', g.version,
                        'detected_at', pg_catalog.now()
                    )
                ) end, '{}')
            end as sync_conflicts
        from public.project_assets as pa
        inner join public.global_assets as g on pa.global_asset_id = g.id
        -- The base (the snapshot at global_version, typed), looked up by primary key and only where a field
        -- is overridden; a function scan, so the planner keeps it a per-row lookup in any plan.
        cross join lateral pg_catalog.jsonb_populate_record(
            null::public.global_assets,
            case when pa.overridden_fields <> '{}' then (
                select v.snapshot
                from public.global_asset_versions as v
                where v.global_asset_id = pa.global_asset_id and v.version = pa.global_version
            ) end
        ) as b
        where pa.id = p_project_asset_id
    )
    update public.project_assets as t
    set
            name = s.f1,
            asset_type = s.f2,
            description = s.f3,
            image_key_url = s.f4,
            visual_style_capsule_id = s.f5,
        sync_conflicts = s.sync_conflicts,
        global_version = s.to_version,
        last_synced_at = pg_catalog.now()
    from s
    where t.id = s.id
    returning
        pg_catalog.jsonb_build_object(
            'project_asset_id', s.id,
            'global_asset_id', s.global_asset_id,
            'from_version', s.from_version,
            'to_version', s.to_version,
            'status', case
                when s.to_version = s.from_version and s.updated_fields = '{}' and s.conflict_fields = '{}'
                    then 'up_to_date'
                else 'synced'
            end,
            'updated_fields', pg_catalog.to_jsonb(s.updated_fields),
            'kept_fields', pg_catalog.to_jsonb(s.kept_fields),
            'conflict_fields', pg_catalog.to_jsonb(s.conflict_fields)
        )
    into v_report;
    return v_report;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.revert_fields(p_project_asset_id uuid, p_fields text[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
    update public.project_assets as pa
    set
        name = case when 'name' = any(p_fields) then g.name else pa.name end,
        asset_type = case when 'asset_type' = any(p_fields) then g.asset_type else pa.asset_type end,
        description = case when 'description' = any(p_fields) then g.description else pa.description end,
        image_key_url = case when 'image_key_url' = any(p_fields) then g.image_key_url else pa.image_key_url end,
        visual_style_capsule_id = case when 'visual_style_capsule_id' = any(p_fields) then g.visual_style_capsule_id else pa.visual_style_capsule_id end,
        overridden_fields = array(
            select o.field_name
            from unnest(pa.overridden_fields) with ordinality as o (field_name, position)
            where o.field_name <> all(p_fields)
            order by o.position
        ),
        sync_conflicts = pa.sync_conflicts - p_fields
    from public.global_assets as g
    where pa.id = p_project_asset_id and pa.global_asset_id = g.id;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.synced_fields()
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
    return '{name,asset_type,description,image_key_url,visual_style_capsule_id}'::text[];
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.tg_global_assets__record_version()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT or AFTER UPDATE ... FOR EACH ROW trigger on public.global_assets.';
    end if;
    if tg_op = 'INSERT' then
        insert into public.global_asset_versions (global_asset_id, version, snapshot, changed_fields)
        values (new.id, new.version, pg_catalog.jsonb_build_object('name', new.name, 'asset_type', new.asset_type, 'description', new.description, 'image_key_url', new.image_key_url, 'visual_style_capsule_id', new.visual_style_capsule_id), '{name,asset_type,description,image_key_url,visual_style_capsule_id}'::text[]);
    else
        insert into public.global_asset_versions (global_asset_id, version, snapshot, changed_fields)
        values (
            new.id,
            new.version,
            pg_catalog.jsonb_build_object('name', new.name, 'asset_type', new.asset_type, 'description', new.description, 'image_key_url', new.image_key_url, 'visual_style_capsule_id', new.visual_style_capsule_id),
            pg_catalog.array_remove(array[
            case when new.name is distinct from old.name then 'name' end,
            case when new.asset_type is distinct from old.asset_type then 'asset_type' end,
            case when new.description is distinct from old.description then 'description' end,
            case when new.image_key_url is distinct from old.image_key_url then 'image_key_url' end,
            case when new.visual_style_capsule_id is distinct from old.visual_style_capsule_id then 'visual_style_capsule_id' end
            ]::text[], null)
        );
    end if;
    return null;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.tg_global_assets__version()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
    if tg_when <> 'BEFORE' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on public.global_assets.';
    end if;
    if tg_op = 'INSERT' then
        if new.version is distinct from 1 then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format('global asset %s must start at version 1, not %s', new.id, new.version),
                hint = 'Leave version out of the INSERT: the database maintains it.';
        end if;
        return new;
    end if;
    if new.version is distinct from old.version then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('column version of global asset %s is maintained by the database', old.id),
            detail = pg_catalog.format('The UPDATE tried to change it from %s to %s.', old.version, new.version),
            hint = 'Leave version out of the UPDATE; use rollback_global_asset() to restore an old version.';
    end if;
    new.updated_at := pg_catalog.now();
    if new.name is distinct from old.name
        or new.asset_type is distinct from old.asset_type
        or new.description is distinct from old.description
        or new.image_key_url is distinct from old.image_key_url
        or new.visual_style_capsule_id is distinct from old.visual_style_capsule_id then
        new.version := old.version + 1;
    end if;
    return new;
end;
$function$

CREATE OR REPLACE FUNCTION assetsync.tg_project_assets__track()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
    v_global public.global_assets;
begin
    if tg_op = 'UPDATE' and tg_when = 'BEFORE' and tg_level = 'ROW' then
        new.updated_at := pg_catalog.now();
        -- The rare paths, behind one test: the override list, the link or the bookkeeping changed.
        if new.overridden_fields is distinct from old.overridden_fields
            or new.global_asset_id is distinct from old.global_asset_id
            or new.global_version is distinct from old.global_version
            or new.last_synced_at is distinct from old.last_synced_at
            or new.sync_conflicts is distinct from old.sync_conflicts then
            -- overridden_fields only ever holds synced field names, as a set: whoever writes it.
            if new.overridden_fields is distinct from old.overridden_fields then
                new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.id);
            end if;
            -- The library's own writes (functions declared with SET assetsync.writer = 'library') never mark.
            if pg_catalog.current_setting('assetsync.writer', true) = 'library' then
                return new;
            end if;
            if new.global_version is distinct from old.global_version
                or new.last_synced_at is distinct from old.last_synced_at
                or new.sync_conflicts is distinct from old.sync_conflicts then
                raise exception using
                    errcode = '22023',
                    message = pg_catalog.format(
                        'column %s of project asset %s is written only by the asset library',
                        case
                            when new.global_version is distinct from old.global_version then 'global_version'
                            when new.last_synced_at is distinct from old.last_synced_at then 'last_synced_at'
                            else 'sync_conflicts'
                        end,
                        old.id
                    ),
                    detail = 'global_version, last_synced_at and sync_conflicts are bookkeeping of the sync functions.',
                    hint = 'Use sync_project_asset(), resolve_sync_conflict() or revert_project_asset_fields().';
            end if;
            if new.global_asset_id is distinct from old.global_asset_id and new.global_asset_id is not null then

                select g.* into v_global from public.global_assets as g where g.id = new.global_asset_id;
                if not found then
                    raise exception using
                        errcode = 'P0002',
                        message = pg_catalog.format('global asset %s does not exist or is not visible', new.global_asset_id),
                        detail = pg_catalog.format('Project asset %s cannot be linked to it.', new.id),
                        hint = 'Link only global assets of your own library.';
                end if;
                new.global_version := v_global.version;
                new.last_synced_at := pg_catalog.now();
                new.sync_conflicts := '{}';
                new.overridden_fields := pg_catalog.array_remove(array[
                    case when new.name is distinct from v_global.name then 'name' end,
                    case when new.asset_type is distinct from v_global.asset_type then 'asset_type' end,
                    case when new.description is distinct from v_global.description then 'description' end,
                    case when new.image_key_url is distinct from v_global.image_key_url then 'image_key_url' end,
                    case when new.visual_style_capsule_id is distinct from v_global.visual_style_capsule_id then 'visual_style_capsule_id' end
                ]::text[], null);
                return new;

            end if;
            -- Detaching (global_asset_id set to NULL) keeps every value, the overrides, global_version and
            -- the conflict entries, as a record of where the copy stood: plain tracking follows.
        end if;
        if (new.name is distinct from old.name and not ('name' = any(new.overridden_fields)))
            or (new.asset_type is distinct from old.asset_type and not ('asset_type' = any(new.overridden_fields)))
            or (new.description is distinct from old.description and not ('description' = any(new.overridden_fields)))
            or (new.image_key_url is distinct from old.image_key_url and not ('image_key_url' = any(new.overridden_fields)))
            or (new.visual_style_capsule_id is distinct from old.visual_style_capsule_id and not ('visual_style_capsule_id' = any(new.overridden_fields))) then
            if pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library' then
                new.overridden_fields := new.overridden_fields || pg_catalog.array_remove(array[
                    case when new.name is distinct from old.name and not ('name' = any(new.overridden_fields)) then 'name' end,
                    case when new.asset_type is distinct from old.asset_type and not ('asset_type' = any(new.overridden_fields)) then 'asset_type' end,
                    case when new.description is distinct from old.description and not ('description' = any(new.overridden_fields)) then 'description' end,
                    case when new.image_key_url is distinct from old.image_key_url and not ('image_key_url' = any(new.overridden_fields)) then 'image_key_url' end,
                    case when new.visual_style_capsule_id is distinct from old.visual_style_capsule_id and not ('visual_style_capsule_id' = any(new.overridden_fields)) then 'visual_style_capsule_id' end
                ]::text[], null);
            end if;
        end if;
        return new;
    end if;

    if tg_op <> 'INSERT' or tg_when <> 'BEFORE' or tg_level <> 'ROW' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on public.project_assets.';
    end if;
    if pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library'
        and (new.global_version is not null or new.last_synced_at is not null or new.sync_conflicts <> '{}') then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'column %s of project asset %s is written only by the asset library',
                case
                    when new.global_version is not null then 'global_version'
                    when new.last_synced_at is not null then 'last_synced_at'
                    else 'sync_conflicts'
                end,
                new.id
            ),
            detail = 'A new project asset gets them from linking: leave them out of the INSERT.',
            hint = 'Set global_asset_id to link the row, or use clone_global_asset().';
    end if;
    new.sync_conflicts := coalesce(new.sync_conflicts, '{}');
    if new.overridden_fields <> '{}' then
        new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.id);
    end if;
    if new.global_asset_id is null then
        return new;
    end if;

    select g.* into v_global from public.global_assets as g where g.id = new.global_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', new.global_asset_id),
            detail = pg_catalog.format('Project asset %s cannot be linked to it.', new.id),
            hint = 'Link only global assets of your own library.';
    end if;
    new.global_version := v_global.version;
    new.last_synced_at := pg_catalog.now();
    new.sync_conflicts := '{}';
    new.overridden_fields := pg_catalog.array_remove(array[
        case when new.name is distinct from v_global.name then 'name' end,
        case when new.asset_type is distinct from v_global.asset_type then 'asset_type' end,
        case when new.description is distinct from v_global.description then 'description' end,
        case when new.image_key_url is distinct from v_global.image_key_url then 'image_key_url' end,
        case when new.visual_style_capsule_id is distinct from v_global.visual_style_capsule_id then 'visual_style_capsule_id' end
    ]::text[], null);
    return new;

end;
$function$
