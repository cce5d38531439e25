-- "Update from Global" for one project asset: the override-aware three-way pull.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_sync_project_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_sync_project_asset',
        p_for.fields,
        'public.sync_project_asset',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        assetsync.sql_render('jsonb', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$begin
    perform assetsync.lock_project_asset(p_project_asset_id, true);
    return assetsync.pull_one(p_project_asset_id);
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Pulls the linked global asset into a project asset. Fields not overridden take the global''s current value; '
        'overridden fields keep theirs, and when the global changed one since the base (the snapshot at '
        'global_version) to a value that differs from the local one, sync_conflicts->field records base, local, '
        'global, global_version and detected_at. Then global_version = the global''s version, last_synced_at = now(). '
        'Returns {project_asset_id, global_asset_id, from_version, to_version, status (synced or up_to_date), '
        'updated_fields, kept_fields, conflict_fields}, field lists in column order. Locks the row: a concurrent '
        'edit is waited for and kept. Errors: 22004 NULL, P0002 unknown or not visible, 55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_sync_project_asset(assetsync.generator_input) is
'Generator of public.sync_project_asset(); called by asset_sync_refresh().';
