-- What a change altered, from two states of a copy (assetsync.copy_state()): the synced fields whose
-- value, override or conflict entry differ (or the names given, for override and unprotect rows), in
-- column order, and per field {"value", "overridden", "conflict"} before and after, "value" absent for SQL
-- NULL. global_version and global_asset_id join both sides when they moved, or always with p_keys (link
-- and unlink rows). One place for every writer of the journal, the set-based sync included.

create or replace function assetsync.journal_diff(
    p_before jsonb, p_after jsonb, p_names text[] default null, p_keys boolean default false
)
returns table (fields text[], before jsonb, after jsonb)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_synced text[] := assetsync.synced_fields();
begin
    fields := array(
        select s.name
        from unnest(v_synced) with ordinality as s (name, n)
        where
            case
                when p_names is not null then s.name = any(p_names)
                else
                    (p_before -> 'values' -> s.name) is distinct from (p_after -> 'values' -> s.name)
                    or (s.name = any(assetsync.json_names(p_before -> 'overridden')))
                    <> (s.name = any(assetsync.json_names(p_after -> 'overridden')))
                    or (p_before -> 'conflicts' -> s.name) is distinct from (p_after -> 'conflicts' -> s.name)
            end
        order by s.n
    );
    select
        coalesce(pg_catalog.jsonb_object_agg(f.name, assetsync.journal_field(p_before, f.name)), '{}'),
        coalesce(pg_catalog.jsonb_object_agg(f.name, assetsync.journal_field(p_after, f.name)), '{}')
    into before, after
    from unnest(fields) as f (name);
    if p_keys or (p_before -> 'global_version') is distinct from (p_after -> 'global_version') then
        before := before || pg_catalog.jsonb_build_object('global_version', p_before -> 'global_version');
        after := after || pg_catalog.jsonb_build_object('global_version', p_after -> 'global_version');
    end if;
    if p_keys or (p_before -> 'global_asset_id') is distinct from (p_after -> 'global_asset_id') then
        before := before || pg_catalog.jsonb_build_object('global_asset_id', p_before -> 'global_asset_id');
        after := after || pg_catalog.jsonb_build_object('global_asset_id', p_after -> 'global_asset_id');
    end if;
    return next;
end;
$fn$;

comment on function assetsync.journal_diff(jsonb, jsonb, text[], boolean) is
'The fields, before and after of a journal row, from two states of a copy (see assetsync.copy_state()): '
'the synced fields whose value, override or conflict differ, or p_names; global_version and global_asset_id '
'when they moved, or always with p_keys.';
