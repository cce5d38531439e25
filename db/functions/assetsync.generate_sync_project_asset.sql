-- "Update from Global" for one project asset: the override-aware three-way pull.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().
-- The common case runs inline, in one PL/pgSQL call (issue 18): the locks of assetsync.lock_project_asset()
-- in its order (the global FOR KEY SHARE, then the copy FOR UPDATE while still linked to it), then the
-- UPDATE of assetsync.pull_one(). A copy that overrides nothing (the copy is locked, so it stays so) runs
-- the same UPDATE with its overridden_fields (read, and in the journal's before-values) written in as the
-- constant '{}': the planner folds away the conflict and base expressions and the journal's before-override
-- tests, which a one-row statement would otherwise set up on every call. Anything
-- unusual (NULL, unknown, not visible, not linked, relinked meanwhile) goes through lock_project_asset(),
-- which raises, or waits and retries, as before.

create or replace function assetsync.generate_sync_project_asset(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
declare
    v_pull text;
begin
    v_pull := assetsync.sql_pull_update(
        p_for.fields, p_for.pair, 'pa.{copies_key} = p_project_asset_id',
        E',\n            ' || assetsync.sql_pull_report() || ' as report'
    );
    return assetsync.generated_function_ddl(
        'assetsync.generate_sync_project_asset',
        p_for.fields,
        'public.sync_project_asset',
        assetsync.sql_render('p_project_asset_id {copies_key_type}', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}', p_for.pair, false),
        assetsync.sql_render('jsonb', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        pg_catalog.format(
            assetsync.sql_render(
                $tpl$declare
    v_global_asset_id {library_key_type};
    v_overrides boolean;
    v_report jsonb;
begin
    -- The common case: lock the linked global, then the copy if it is still linked to it.
    select g.{library_key} into v_global_asset_id
    from {library} as g
    where g.{library_key} = (select pa.{link} from {copies} as pa where pa.{copies_key} = p_project_asset_id)
    for key share of g;
    if found then
        select pa.overridden_fields <> '{}' into v_overrides
        from {copies} as pa
        where pa.{copies_key} = p_project_asset_id and pa.{link} = v_global_asset_id
        for update;
    end if;
    if not found then
        -- NULL, unknown, not visible, not linked, or relinked meanwhile: raises, or waits and retries.
        perform assetsync.lock_project_asset(p_project_asset_id, true);
        v_overrides := true;
    end if;
    if v_overrides then
        %1$s
        select u.report into v_report from u;
    else
        -- Nothing overridden: the same UPDATE with the copy's overridden_fields = '{}' folded in at plan time.
        %2$s
        select u.report into v_report from u;
    end if;
    return v_report;
end;
$tpl$,
                p_for.pair,
                false
            ),
            v_pull,
            -- Whole identifiers only (\M), so that a synced column whose name starts the same is left alone.
            pg_catalog.regexp_replace(
                v_pull, '(\mpa\.|\(u\.old_row\)\.)overridden_fields\M', '''{}''::text[]', 'g'
            )
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
