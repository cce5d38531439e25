-- Preview of a fan-out: what sync_global_asset() would do now, per copy and field, writing nothing.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_preview_sync_global_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_preview_sync_global_asset',
        p_for.fields,
        'public.preview_sync_global_asset',
        assetsync.sql_render('p_global_asset_id {library_key_type}', p_for.pair, false),
        assetsync.sql_render('{library_key_type}', p_for.pair, false),
        assetsync.sql_render(
            'table (project_asset_id {copies_key_type}, project_id {projects_key_type}, field text, outcome text, '
            'local_value jsonb, global_value jsonb, base_value jsonb)',
            p_for.pair,
            false
        ),
        array['stable'],
        assetsync.sql_render(
            $tpl$declare
    v_global {library};
begin
    if p_global_asset_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_global_asset_id must not be NULL',
            hint = 'Pass the id of a global asset.';
    end if;
    -- No lock: a preview is a snapshot of what the sync would do now.
    select g.* into v_global from {library} as g where g.{library_key} = p_global_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = 'global asset ' || p_global_asset_id || ' does not exist or is not visible',
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    return query select p.* from assetsync.preview_sync(v_global) as p;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'For every linked copy of the global asset that the caller may see, one row per synced field whose global '
        'value differs from the local one, ordered by project_id, project_asset_id and column order: update, merge, '
        'conflict or keep, exactly what sync_global_asset() would do now. Writes nothing, locks no row, sends no '
        'notice. Errors: 22004 NULL, P0002 unknown or not visible.'
    );
end;
$gen$;

comment on function assetsync.generate_preview_sync_global_asset(assetsync.generator_input) is
'Generator of public.preview_sync_global_asset(); called by asset_sync_refresh().';
