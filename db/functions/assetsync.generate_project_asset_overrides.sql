-- Generates public.project_asset_overrides(): per overridden field of a copy, who overrode it, when, from
-- which client and the inherited value it replaced (from the latest journal row that made the field
-- overridden; for a link, the value in the global's version the link recorded), with the local value and
-- the global's value now. NULL where the journal has no such row (rows older than the journal, attached
-- rows) or the copy is unlinked.

create or replace function assetsync.generate_project_asset_overrides(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_project_asset_overrides',
        p_for.fields,
        'public.project_asset_overrides',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair),
        assetsync.sql_render('{copies_key_type}', p_for.pair),
        E'table (\n    field text, local_value jsonb, inherited_value jsonb, global_value jsonb,\n'
        || E'    overridden_at timestamptz, overridden_by uuid, application_name text\n)',
        '{stable}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_row {copies};
    v_global {library};
begin
    if p_project_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_project_asset_id must not be NULL',
            hint = 'Pass the id of a project asset.';
    end if;
    select pa.* into v_row from {copies} as pa where pa.{copies_key} = p_project_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('project asset %%s does not exist or is not visible', p_project_asset_id),
            hint = 'Check the id, and that the caller owns the project.';
    end if;
    select g.* into v_global from {library} as g where g.{library_key} = v_row.{link};
    return query
    select
        f.name,
        case f.name%1$s end,
        case
            when c.kind = 'link' then (
                select
                    case
                        when f.name = any(%3$L::text[]) then v.snapshot -> f.name
                        else nullif(v.snapshot -> f.name, 'null'::jsonb)
                    end
                from {versions} as v
                where
                    v.global_asset_id = v_row.{link}
                    and v.version = (c.after ->> 'global_version')::integer
            )
            else c.before -> f.name -> 'value'
        end,
        case when v_row.{link} is null then null else case f.name%2$s end end,
        c.created_at,
        c.actor,
        c.application_name
    from unnest(assetsync.synced_fields()) with ordinality as f (name, n)
    left join lateral (
        select j.kind, j.before, j.after, j.created_at, j.actor, j.application_name
        from public.project_asset_changes as j
        where
            j.project_asset_id = p_project_asset_id
            and f.name = any(j.fields)
            and coalesce((j.after -> f.name ->> 'overridden')::boolean, false)
            and not coalesce((j.before -> f.name ->> 'overridden')::boolean, false)
        order by j.id desc
        limit 1
    ) as c on true
    where f.name = any(v_row.overridden_fields)
    order by f.n;
end;
$tpl$, p_for.pair),
            (
                select pg_catalog.string_agg(
                    pg_catalog.format(' when %L then pg_catalog.to_jsonb(v_row.%I)', u.name, u.name), '' order by u.n
                )
                from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
            ),
            (
                select pg_catalog.string_agg(
                    pg_catalog.format(' when %L then pg_catalog.to_jsonb(v_global.%I)', u.name, u.name),
                    '' order by u.n
                )
                from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
            ),
            (
                select coalesce(pg_catalog.array_agg(u.name), '{}')
                from unnest(p_for.fields) as u
                where u.base_type in ('json', 'jsonb')
            )
        ),
        'One row per overridden field of a project asset, in column order: its local value, the inherited value '
        'it replaced, the global''s value now (NULL when unlinked), and when, by whom (request_user_id()) and '
        'from which application_name it was overridden, from the journal (NULL where the journal has no such '
        'row). Errors: 22004 NULL, P0002 unknown or not visible.'
    );
end;
$fn$;

comment on function assetsync.generate_project_asset_overrides(assetsync.generator_input) is
'Generator of public.project_asset_overrides(); called by asset_sync_refresh().';
