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
    v_fields assetsync.synced_field[];
    v_names text[];
    v_old_names text[];
    v_generator text;
    v_made assetsync.generated_function;
    v_last assetsync.generated_code;
begin
    -- One refresh at a time: a second caller waits here, then sees what the first one installed (each
    -- statement below takes a new snapshot) and has nothing left to replace.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('assetsync.asset_sync_refresh'));

    v_fields := array(select f from assetsync.synced_field_catalog(true) as f);
    v_names := array(select f.name from unnest(v_fields) with ordinality as f (name, c, t, b, n) order by f.n);
    if pg_catalog.to_regprocedure('assetsync.synced_fields()') is not null then
        execute 'select assetsync.synced_fields()' into v_old_names;
    end if;

    foreach v_generator in array array[
        'assetsync.generate_synced_fields',
        'assetsync.generate_tg_project_assets__track',
        'assetsync.generate_tg_global_assets__version',
        'assetsync.generate_tg_global_assets__record_version',
        'assetsync.generate_pull',
        'assetsync.generate_pull_one',
        'assetsync.generate_pull_global',
        'assetsync.generate_diff',
        'assetsync.generate_revert_fields',
        'assetsync.generate_apply_snapshot',
        'assetsync.generate_clone'
    ] loop
        execute pg_catalog.format('select * from %s($1)', v_generator::regproc) using v_fields into v_made;
        select c.* into v_last from assetsync.generated_code as c where c.generator = v_generator;
        if v_last.ddl is distinct from v_made.ddl
            or v_last.body is distinct from assetsync.installed_body(v_made.signature) then
            -- A generator whose function changed its signature leaves no old overload behind.
            if v_last.signature <> v_made.signature and pg_catalog.to_regprocedure(v_last.signature) is not null then
                execute pg_catalog.format('drop function %s', pg_catalog.to_regprocedure(v_last.signature));
            end if;
            execute v_made.ddl;
            insert into assetsync.generated_code as c (generator, signature, ddl, body)
            values (v_generator, v_made.signature, v_made.ddl, assetsync.installed_body(v_made.signature))
            on conflict (generator) do update
                set
                    signature = excluded.signature,
                    ddl = excluded.ddl,
                    body = excluded.body,
                    generated_at = pg_catalog.now();
        end if;
    end loop;

    -- A synced column was dropped (or is no longer synced): forget its name everywhere.
    if v_old_names is distinct from v_names then
        update public.project_assets as pa
        set
            overridden_fields = array(
                select o.field_name
                from unnest(pa.overridden_fields) with ordinality as o (field_name, position)
                where o.field_name = any(v_names)
                order by o.position
            ),
            sync_conflicts = (
                select coalesce(pg_catalog.jsonb_object_agg(c.key, c.value), '{}')
                from pg_catalog.jsonb_each(pa.sync_conflicts) as c
                where c.key = any(v_names)
            )
        where
            not (pa.overridden_fields <@ v_names)
            or exists (
                select from pg_catalog.jsonb_object_keys(pa.sync_conflicts) as k (key)
                where k.key <> all(v_names)
            );
    end if;
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
