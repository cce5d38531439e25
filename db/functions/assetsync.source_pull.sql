-- Generates the body of assetsync.pull(): the override-aware sync of the given project assets as ONE
-- UPDATE, returning a report per row. Callers lock the rows first (see sync_project_asset).

create or replace function assetsync.source_pull(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return pg_catalog.format(
        $tpl$
begin
    return query
    with s as (%1$s    ),
    u as (
        update public.project_assets as t
        set
%2$s
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
$tpl$,
        assetsync.sql_pull_select(p_fields, p_modes, 'pa.id = any(p_project_asset_ids)'),
        assetsync.sql_pull_set(p_fields)
    );
end;
$fn$;

comment on function assetsync.source_pull(text[], text[]) is
'Code generator for assetsync.pull(); called by asset_sync_refresh().';
