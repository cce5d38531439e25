-- Restore a library asset to an earlier version, as a new version: history is never rewritten.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_rollback_global_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_rollback_global_asset',
        p_for.fields,
        'public.rollback_global_asset',
        assetsync.sql_render('p_global_asset_id {library_key_type}, p_version integer', p_for.pair, false),
        assetsync.sql_render('{library_key_type}, integer', p_for.pair, false),
        assetsync.sql_render('integer', p_for.pair, false),
        array['volatile'],
        assetsync.sql_render(
            $tpl$begin
    if p_global_asset_id is null or p_version is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL', case when p_global_asset_id is null then 'p_global_asset_id' else 'p_version' end
            ),
            hint = 'Pass the id of a global asset and one of its versions.';
    end if;
    perform from {library} as g where g.{library_key} = p_global_asset_id for no key update;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    perform
    from {versions} as v
    where v.global_asset_id = p_global_asset_id and v.version = p_version;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s has no version %s', p_global_asset_id, p_version),
            hint = 'See global_asset_versions for the versions it has.';
    end if;
    return assetsync.apply_snapshot(p_global_asset_id, p_version);
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Restores the synced fields of a global asset from the snapshot of an earlier version, as a new version '
        '(history is kept); a field missing from that snapshot keeps its current value. Returns the new version, or '
        'the current one when the snapshot equals the current values (no version is made). Errors: 22004 NULL, '
        'P0002 unknown or not visible asset, or a version it does not have.'
    );
end;
$gen$;

comment on function assetsync.generate_rollback_global_asset(assetsync.generator_input) is
'Generator of public.rollback_global_asset(); called by asset_sync_refresh().';
