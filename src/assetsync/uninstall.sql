-- Removes every object assetsync created, in one transaction, never with CASCADE: an app's own object
-- that depends on one of them (a policy calling request_user_id(), a foreign key to projects) makes a
-- DROP fail with 2BP01, naming that object, and the whole transaction changes nothing.
-- Objects: everything in schema assetsync (read from the catalogue), in public the objects the db
-- directory's files create (their names are filled in when this script is generated), and what
-- asset_sync_refresh() generated (assetsync.generated_code: the API, the triggers, the status view). On an
-- app's attached tables only assetsync's triggers go, and with --drop-columns the columns it added; the
-- app's tables, rows, policies and other columns stay.
begin;

do $assetsync_uninstall$
declare
    v_drop_data constant boolean := {drop_data};
    v_drop_columns constant boolean := {drop_columns};
    v_owns_tables boolean := true;
    v_history regclass;
    v_added jsonb := '[]'::jsonb;
    v_generated_routines text[] := '{}';
    v_generated_views text[] := '{}';
    v_generated_triggers text[] := '{}';
    v_data_tables constant text[] := {data_tables};
    v_tables constant text[] := {tables};
    v_views constant text[] := {views};
    v_routines constant text[] := {routines};
    v_types constant text[] := {types};
    v_internal constant oid := pg_catalog.to_regnamespace('assetsync');
    v_found text;
    v_relations oid[];
    v_statement text;
begin
    select pg_catalog.string_agg(pg_catalog.format('public.%I', t.name), ', ')
    into v_found
    from pg_catalog.unnest(v_data_tables) as t (name)
    where pg_catalog.to_regclass(pg_catalog.format('public.%I', t.name)) is not null;
    if pg_catalog.to_regclass('assetsync.migration_history') is null then
        if v_found is not null then
            raise exception using
                errcode = '55000',
                message = pg_catalog.format('assetsync is not installed here, and %s are not its tables', v_found),
                hint = 'Nothing was changed.';
        end if;
        raise notice 'assetsync is not installed in this database: nothing to uninstall';
        return;
    end if;
    if pg_catalog.to_regclass('assetsync.attachment') is not null then
        execute 'select a.owns_tables, a.versions, a.added_columns from assetsync.attachment as a'
        into v_owns_tables, v_history, v_added;
        v_owns_tables := coalesce(v_owns_tables, true);
    end if;
    if pg_catalog.to_regclass('assetsync.generated_code') is not null then
        execute $generated$
            select
                coalesce(pg_catalog.array_agg(c.signature) filter (where c.kind = 'function'), '{}'),
                coalesce(pg_catalog.array_agg(c.signature) filter (where c.kind = 'view'), '{}'),
                coalesce(
                    pg_catalog.array_agg(pg_catalog.format('%I on %s', c.signature, c.on_table))
                    filter (where c.kind = 'trigger' and pg_catalog.to_regclass(c.on_table) is not null),
                    '{}'
                )
            from assetsync.generated_code as c
        $generated$
        into v_generated_routines, v_generated_views, v_generated_triggers;
    end if;
    if not v_owns_tables then
        v_found := null;  -- an app's attached tables are never dropped
    end if;
    if v_found is not null and not v_drop_data then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('uninstall refuses to drop %s without --drop-data', v_found),
            detail = 'These tables hold the application''s data; nothing was changed.',
            hint = 'Run uninstall with --drop-data to drop them with their rows, or keep assetsync.';
    end if;

    select pg_catalog.string_agg(c.oid::regclass::text, ', ')
    into v_found
    from pg_catalog.pg_class as c
    where c.relkind in ('v', 'm')
        and (
            c.relnamespace = v_internal
            or (c.relnamespace = 'public'::regnamespace and c.relname = any(v_views))
            or c.oid = any(array(select pg_catalog.to_regclass(v.name) from unnest(v_generated_views) as v (name)))
        );
    if v_found is not null then
        raise notice 'dropping view(s) %', v_found;
        execute 'drop view ' || v_found;
    end if;

    select pg_catalog.array_agg(c.oid)
    into v_relations
    from pg_catalog.pg_class as c
    where c.relkind in ('r', 'p', 'f')
        and (
            c.relnamespace = v_internal
            or c.oid = v_history
            or (
                c.relnamespace = 'public'::regnamespace
                and (c.relname = any(v_tables) or (v_owns_tables and v_drop_data and c.relname = any(v_data_tables)))
            )
        );
    -- The triggers assetsync generated on tables that stay (an app's attached tables).
    for v_statement in
        select 'drop trigger ' || t.name from unnest(v_generated_triggers) as t (name)
    loop
        execute v_statement;
    end loop;
    -- What hangs on these tables goes first, so that the routines it calls can be dropped without CASCADE.
    for v_statement in
        select pg_catalog.format('drop trigger if exists %I on %s', t.tgname, t.tgrelid::regclass)
        from pg_catalog.pg_trigger as t
        where t.tgrelid = any(v_relations) and not t.tgisinternal
        union all
        select pg_catalog.format('drop policy %I on %s', p.polname, p.polrelid::regclass)
        from pg_catalog.pg_policy as p
        where p.polrelid = any(v_relations)
        union all
        select pg_catalog.format('alter table %s alter column %I drop default', a.attrelid::regclass, a.attname)
        from pg_catalog.pg_attribute as a
        where a.attrelid = any(v_relations) and a.atthasdef and a.attgenerated = ''
    loop
        execute v_statement;
    end loop;

    select pg_catalog.string_agg(p.oid::regprocedure::text, ', ')
    into v_found
    from pg_catalog.pg_proc as p
    where p.prokind in ('f', 'p')
        and (
            p.pronamespace = v_internal
            or (p.pronamespace = 'public'::regnamespace and p.proname = any(v_routines))
            or p.oid = any(array(select pg_catalog.to_regprocedure(r.name) from unnest(v_generated_routines) as r (name)))
        );
    if v_found is not null then
        raise notice 'dropping routine(s) %', v_found;
        execute 'drop routine ' || v_found;
    end if;

    select pg_catalog.string_agg(t.oid::regtype::text, ', ')
    into v_found
    from pg_catalog.pg_type as t
    left join pg_catalog.pg_class as c on t.typrelid = c.oid
    where t.typtype in ('c', 'd', 'e', 'r', 'm')
        and (t.typtype <> 'c' or c.relkind = 'c')
        and (
            t.typnamespace = v_internal
            or (t.typnamespace = 'public'::regnamespace and t.typname = any(v_types))
        );
    if v_found is not null then
        raise notice 'dropping type(s) %', v_found;
        execute 'drop type ' || v_found;
    end if;

    select pg_catalog.string_agg(r.oid::regclass::text, ', ')
    into v_found
    from pg_catalog.unnest(v_relations) as r (oid);
    if v_found is not null then
        raise notice 'dropping table(s) %', v_found;
        execute 'drop table ' || v_found;
    end if;

    select pg_catalog.string_agg(c.oid::regclass::text, ', ')
    into v_found
    from pg_catalog.pg_class as c
    where c.relkind = 'S' and c.relnamespace = v_internal;
    if v_found is not null then
        execute 'drop sequence ' || v_found;
    end if;

    -- What asset_sync_attach() added to an app's tables besides columns (constraints, indexes, comments on
    -- columns): removed. The columns it added: kept, unless --drop-columns.
    if not v_owns_tables then
        for v_statement in
            select
                case
                    when c ? 'constraint' then pg_catalog.format(
                        'alter table %s drop constraint if exists %I', c ->> 'table', c ->> 'constraint'
                    )
                    when c ? 'index' then pg_catalog.format('drop index if exists %s', c ->> 'index')
                    else pg_catalog.format('comment on column %s.%I is null', c ->> 'table', c ->> 'comment')
                end
            from pg_catalog.jsonb_array_elements(coalesce(v_added, '[]')) as c
            where c ? 'constraint' or c ? 'index' or c ? 'comment'
        loop
            raise notice '%', v_statement;
            execute v_statement;
        end loop;
    end if;
    if v_drop_columns and not v_owns_tables then
        for v_statement in
            select pg_catalog.format('alter table %s drop column if exists %I', c ->> 'table', c ->> 'column')
            from pg_catalog.jsonb_array_elements(v_added) as c
            where c ? 'column'
        loop
            raise notice '%', v_statement;
            execute v_statement;
        end loop;
    end if;

    if v_internal is not null then
        raise notice 'dropping schema assetsync';
        drop schema assetsync;
    end if;
end
$assetsync_uninstall$;

commit;

notify pgrst, 'reload schema';
