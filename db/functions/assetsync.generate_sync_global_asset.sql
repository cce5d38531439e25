-- Fan-out: pull one global asset into every linked copy the caller may see, as one set-based UPDATE.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_sync_global_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_sync_global_asset',
        p_for.fields,
        'public.sync_global_asset',
        assetsync.sql_render('p_global_asset_id {library_key_type}', p_for.pair, false),
        assetsync.sql_render('{library_key_type}', p_for.pair, false),
        assetsync.sql_render('integer', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$begin
    if p_global_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_global_asset_id must not be NULL',
            hint = 'Pass the id of a global asset.';
    end if;
    -- Lock order: the global, then its copies by id (as in assetsync.lock_project_asset).
    perform from {library} as g where g.{library_key} = p_global_asset_id for key share;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %s does not exist or is not visible', p_global_asset_id),
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    perform
    from {copies} as pa
    where pa.{link} = p_global_asset_id
    order by pa.{copies_key}
    for update;
    return assetsync.pull_global(p_global_asset_id);
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Runs the sync of sync_project_asset() for every project asset linked to this global asset that the caller '
        'may see, as one set-based UPDATE (rows locked in id order); returns how many copies it visited, up-to-date '
        'ones included. Errors: 22004 NULL, P0002 unknown or not visible.'
    );
end;
$gen$;

comment on function assetsync.generate_sync_global_asset(assetsync.generator_input) is
'Generator of public.sync_global_asset(); called by asset_sync_refresh().';
