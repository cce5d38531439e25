-- Brings the generated code up to date with the tables' current columns.
--
-- Why generated: the synced fields are whatever columns global_assets and project_assets share, so the
-- code must follow the catalogue; but a row trigger that reads the catalogue or diffs to_jsonb(OLD) and
-- to_jsonb(NEW) costs several times a plain one. So the catalogue is read here, once, and each generator
-- (assetsync.generate_*, always quoting through format('%I')) returns the complete DDL of one function
-- with the field names baked in. Re-running it is harmless: a function is re-created only when its DDL
-- changed (assetsync.generated_code records the last one), and stale field names are purged from
-- project_assets only when the field list itself changed.

create or replace function public.asset_sync_refresh()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
declare
    v_pair assetsync.attachment;
    v_fields assetsync.synced_field[];
    v_names text[];
    v_old_names text[];
    v_generator text;
    v_input assetsync.generator_input;
    v_row record;
    v_made assetsync.generated_function;
    v_last assetsync.generated_code;
begin
    -- One refresh at a time: a second caller waits here, then sees what the first one installed (each
    -- statement below takes a new snapshot) and has nothing left to replace.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('assetsync.asset_sync_refresh'));

    select a.* into v_pair from assetsync.attachment as a;
    if not found then
        raise notice using
            message = 'asset_sync_refresh(): no tables are attached yet; nothing to generate',
            hint = 'assetsync migrate attaches its own tables; asset_sync_attach() attaches an app''s tables.';
        return;
    end if;

    v_fields := array(select f from assetsync.synced_field_catalog(v_pair, true) as f);
    v_names := array(select f.name from unnest(v_fields) with ordinality as f (name, c, t, b, m, n) order by f.n);
    if pg_catalog.to_regprocedure('assetsync.synced_fields()') is not null then
        execute 'select assetsync.synced_fields()' into v_old_names;
    end if;

    -- The journal table the generated code writes (made once for the attached copies table).
    perform assetsync.create_journal_table(v_pair);

    v_input := row(v_fields, v_pair)::assetsync.generator_input;
    -- Each generator, called statically (plpgsql_check verifies every call), in the order their objects
    -- depend on each other: the helpers, the trigger functions and their triggers, the sync, the API.
    for v_row in
        select g.generator, g.made
        from (
            values
            ('assetsync.generate_synced_fields', assetsync.generate_synced_fields(v_input)),
            ('assetsync.generate_copy_state', assetsync.generate_copy_state(v_input)),
            ('assetsync.generate_journal', assetsync.generate_journal(v_input)),
            ('assetsync.generate_lock_project_asset', assetsync.generate_lock_project_asset(v_input)),
            ('assetsync.generate_linked_project_asset', assetsync.generate_linked_project_asset(v_input)),
            ('assetsync.generate_tg_project_assets__track', assetsync.generate_tg_project_assets__track(v_input)),
            ('assetsync.generate_tg_global_assets__version', assetsync.generate_tg_global_assets__version(v_input)),
            (
                'assetsync.generate_tg_global_assets__record_version',
                assetsync.generate_tg_global_assets__record_version(v_input)
            ),
            (
                'assetsync.generate_tg_global_asset_versions__append_only',
                assetsync.generate_tg_global_asset_versions__append_only(v_input)
            ),
            ('assetsync.generate_trigger_copies__track', assetsync.generate_trigger_copies__track(v_input)),
            ('assetsync.generate_trigger_library__version', assetsync.generate_trigger_library__version(v_input)),
            (
                'assetsync.generate_trigger_library__record_version_on_insert',
                assetsync.generate_trigger_library__record_version_on_insert(v_input)
            ),
            (
                'assetsync.generate_trigger_library__record_version_on_update',
                assetsync.generate_trigger_library__record_version_on_update(v_input)
            ),
            (
                'assetsync.generate_tg_global_assets__notice_versions_on_insert',
                assetsync.generate_tg_global_assets__notice_versions_on_insert(v_input)
            ),
            (
                'assetsync.generate_tg_global_assets__notice_versions_on_update',
                assetsync.generate_tg_global_assets__notice_versions_on_update(v_input)
            ),
            (
                'assetsync.generate_trigger_library__notice_versions_on_insert',
                assetsync.generate_trigger_library__notice_versions_on_insert(v_input)
            ),
            (
                'assetsync.generate_trigger_library__notice_versions_on_update',
                assetsync.generate_trigger_library__notice_versions_on_update(v_input)
            ),
            (
                'assetsync.generate_tg_project_assets__journal',
                assetsync.generate_tg_project_assets__journal(v_input)
            ),
            (
                'assetsync.generate_trigger_copies__journal_on_insert',
                assetsync.generate_trigger_copies__journal_on_insert(v_input)
            ),
            (
                'assetsync.generate_trigger_versions__append_only',
                assetsync.generate_trigger_versions__append_only(v_input)
            ),
            ('assetsync.generate_pull', assetsync.generate_pull(v_input)),
            ('assetsync.generate_pull_one', assetsync.generate_pull_one(v_input)),
            ('assetsync.generate_pull_global', assetsync.generate_pull_global(v_input)),
            ('assetsync.generate_diff', assetsync.generate_diff(v_input)),
            ('assetsync.generate_revert_fields', assetsync.generate_revert_fields(v_input)),
            ('assetsync.generate_apply_snapshot', assetsync.generate_apply_snapshot(v_input)),
            ('assetsync.generate_clone', assetsync.generate_clone(v_input)),
            ('assetsync.generate_sync_project_asset', assetsync.generate_sync_project_asset(v_input)),
            ('assetsync.generate_sync_global_asset', assetsync.generate_sync_global_asset(v_input)),
            ('assetsync.generate_sync_project', assetsync.generate_sync_project(v_input)),
            ('assetsync.generate_clone_global_asset', assetsync.generate_clone_global_asset(v_input)),
            ('assetsync.generate_revert_project_asset_fields', assetsync.generate_revert_project_asset_fields(v_input)),
            ('assetsync.generate_push_project_asset_fields', assetsync.generate_push_project_asset_fields(v_input)),
            ('assetsync.generate_preview_sync', assetsync.generate_preview_sync(v_input)),
            (
                'assetsync.generate_preview_sync_global_asset',
                assetsync.generate_preview_sync_global_asset(v_input)
            ),
            (
                'assetsync.generate_preview_global_asset_change',
                assetsync.generate_preview_global_asset_change(v_input)
            ),
            ('assetsync.generate_resolve_sync_conflict', assetsync.generate_resolve_sync_conflict(v_input)),
            ('assetsync.generate_project_asset_diff', assetsync.generate_project_asset_diff(v_input)),
            (
                'assetsync.generate_project_asset_visual_diff',
                assetsync.generate_project_asset_visual_diff(v_input)
            ),
            ('assetsync.generate_synced_field_settings', assetsync.generate_synced_field_settings(v_input)),
            ('assetsync.generate_rollback_global_asset', assetsync.generate_rollback_global_asset(v_input)),
            (
                'assetsync.generate_undo_project_asset_change',
                assetsync.generate_undo_project_asset_change(v_input)
            ),
            (
                'assetsync.generate_project_asset_overrides',
                assetsync.generate_project_asset_overrides(v_input)
            ),
            ('assetsync.generate_project_asset_sync_status', assetsync.generate_project_asset_sync_status(v_input))
        ) as g (generator, made)
    loop
        v_generator := v_row.generator;
        v_made := v_row.made;
        select c.* into v_last from assetsync.generated_code as c where c.generator = v_generator;
        if v_last.ddl is distinct from v_made.ddl or v_last.body is distinct from assetsync.installed_body(v_made) then
            -- A generator whose object changed its name or signature leaves nothing behind.
            if v_last.signature is distinct from v_made.signature or v_last.on_table is distinct from v_made.on_table then
                perform assetsync.drop_generated(v_last);
            end if;
            -- plpgsql_check: the DDL is trusted, every name in it went through format('%I') or regclass.
            perform 'PRAGMA:disable:security_warnings';
            execute v_made.ddl;
            perform 'PRAGMA:enable:security_warnings';
            insert into assetsync.generated_code as c (generator, signature, kind, on_table, ddl, body)
            values (
                v_generator, v_made.signature, v_made.kind, v_made.on_table, v_made.ddl,
                assetsync.installed_body(v_made)
            )
            on conflict (generator) do update
                set
                    signature = excluded.signature,
                    kind = excluded.kind,
                    on_table = excluded.on_table,
                    ddl = excluded.ddl,
                    body = excluded.body,
                    generated_at = pg_catalog.now();
        end if;
    end loop;

    -- A synced column was dropped (or is no longer synced): forget its name everywhere.
    if v_old_names is distinct from v_names then
        execute pg_catalog.format($purge$
        update %s as pa
        set
            overridden_fields = array(
                select o.field_name
                from unnest(pa.overridden_fields) with ordinality as o (field_name, position)
                where o.field_name = any($1)
                order by o.position
            ),
            sync_conflicts = (
                select coalesce(pg_catalog.jsonb_object_agg(c.key, c.value), '{}')
                from pg_catalog.jsonb_each(pa.sync_conflicts) as c
                where c.key = any($1)
            )
        where
            not (pa.overridden_fields <@ $1)
            or exists (
                select from pg_catalog.jsonb_object_keys(pa.sync_conflicts) as k (key)
                where k.key <> all($1)
            )$purge$, v_pair.copies)
        using v_names;
    end if;
    -- The merge setting of a field lives while the field is synced.
    delete from assetsync.synced_field_settings as s where s.field <> all(v_names);
    -- Functions created above got the database's default privileges: make every grant exact again.
    perform assetsync.apply_privileges();
end;
$fn$;

comment on function public.asset_sync_refresh() is
'Brings tracking, versioning and sync up to date with the tables'' current columns: a column added to both '
'global_assets and project_assets with the same type becomes a synced field; one with differing types is '
'reported with a WARNING and not synced; a dropped synced column''s name is removed from every '
'overridden_fields and sync_conflicts; a synced column whose type changed gets code generated for its new '
'type. Re-creates only the generated functions whose DDL changed (see assetsync.generated_code): a no-op '
'when nothing did. Concurrent calls wait for each other. Called by "assetsync migrate" after every run; '
'harmless to call at any time.';

-- Only the role that owns the tables (the migration runner) regenerates code.
revoke execute on function public.asset_sync_refresh() from public;
