-- Generates the one UPDATE that every generated sync runs (a single copy, a list, every copy of a
-- global): the SELECT of assetsync.sql_pull_select() for the rows matching p_where, written back field by
-- field with the new sync_conflicts, global_version and last_synced_at. Each caller adds its RETURNING.

create or replace function assetsync.sql_pull_update(
    p_fields assetsync.synced_field[], p_pair assetsync.attachment, p_where text
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return pg_catalog.format(
        assetsync.sql_render($tpl$with s as (
        %1$s
    )
    update {copies} as t
    set
%2$s        sync_conflicts = s.sync_conflicts,
        global_version = s.to_version,
        last_synced_at = pg_catalog.now()
    from s
    where t.{copies_key} = s.id$tpl$, p_pair),
        assetsync.sql_pull_select(p_fields, p_pair, p_where),
        (
            select pg_catalog.string_agg(pg_catalog.format(E'        %I = s.%I,\n', u.name, 'new_' || u.name), '' order by u.n)
            from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n)
        )
    );
end;
$fn$;

comment on function assetsync.sql_pull_update(assetsync.synced_field[], assetsync.attachment, text) is
'Code generation helper: the UPDATE (with its WITH) of the generated syncs for the project assets matching '
'p_where, without RETURNING; used by assetsync.generate_pull, generate_pull_one and generate_pull_global.';
