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
            %3$s as report
    )
    select u.report from u;
end;
$tpl$,
        assetsync.sql_pull_select(p_fields, p_modes, 'pa.id = any(p_project_asset_ids)'),
        assetsync.sql_pull_set(p_fields),
        assetsync.sql_pull_report()
    );
end;
$fn$;

comment on function assetsync.source_pull(text[], text[]) is
'Code generator for assetsync.pull(); called by asset_sync_refresh().';
