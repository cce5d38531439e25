-- Every object whose privileges assetsync manages, and exactly what an API role gets on each.
--
-- Why one function: assetsync.apply_privileges() grants from it, the tests compare the catalogue's ACLs
-- with it, and docs/supabase.md lists it, so "what an API role may do" is decided in this one place.
--
-- The rule for functions of schema assetsync is a deny-list, not an allow-list: the internal functions
-- the API calls (generated pull/diff/clone code, trigger functions, locking and checking helpers) are
-- renamed and split as the code evolves, and an allow-list that missed one would break the API with
-- 42501 at run time. So every function of assetsync is executable by the API role EXCEPT the code
-- generators, which only asset_sync_refresh() runs (names starting with generate_ or sql_, plus
-- installed_body, generated_function_ddl, synced_field_catalog and the other helpers listed below), and
-- the privilege functions themselves.
-- A new generator helper must be named generate_* or sql_*, or be added to the list below.
-- In public, only objects the contract names are managed (an app's own objects there are never touched);
-- names of later parts of the contract are listed too and are managed once they exist.

create or replace function assetsync.api_privileges()
returns table (
    object_kind text,
    object_name text,
    object_oid oid,
    owner_oid oid,
    acl aclitem[],
    privileges text[]
)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
    with
    -- The tables and views assetsync made: its own tables only when it made them (an app's attached tables
    -- are the app's business: assetsync grants and revokes nothing there), the history table wherever the
    -- attached pair keeps it, and the views and tables of public that the contract names.
    managed_relations (relid, privileges) as (
        select x.relid, x.privileges
        from assetsync.attachment as a
        cross join lateral (
            values
            (a.projects::oid, array['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
            (a.library::oid, array['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
            (a.copies::oid, array['SELECT', 'INSERT', 'UPDATE', 'DELETE'])
        ) as x (relid, privileges)
        where a.owns_tables
        union all
        -- History and journal: the versioning trigger and the library's functions write them with the
        -- caller's rights; a client's own INSERT is still refused (42501) by their triggers.
        select a.versions::oid, array['SELECT', 'INSERT']
        from assetsync.attachment as a
        union all
        select c.oid, r.privileges
        from pg_catalog.pg_class as c
        inner join (
            values
            ('project_asset_changes'::name, array['SELECT', 'INSERT']),
            ('project_asset_sync_status', array['SELECT']),
            ('synced_field_settings', array['SELECT'])
        ) as r (relname, privileges) on c.relname = r.relname
        where c.relnamespace = 'public'::regnamespace
        union all
        -- The live notices' queue: the versioning trigger and the syncs insert with the caller's rights, the
        -- deferred flush reads and deletes them at commit. A transaction only ever sees its own rows, which
        -- are gone when it commits; a row a client inserts itself only makes a notice, which any role can
        -- send anyway with pg_notify() (docs/push-preview-notices.md).
        select 'assetsync.notice_queue'::regclass::oid, array['SELECT', 'INSERT', 'DELETE']
    ),

    public_functions (proname, privileges) as (
        values
            ('request_user_id'::name, array['EXECUTE']),
            ('sync_project_asset', array['EXECUTE']),
            ('sync_global_asset', array['EXECUTE']),
            ('sync_project', array['EXECUTE']),
            ('clone_global_asset', array['EXECUTE']),
            ('revert_project_asset_fields', array['EXECUTE']),
            ('resolve_sync_conflict', array['EXECUTE']),
            ('project_asset_diff', array['EXECUTE']),
            ('rollback_global_asset', array['EXECUTE']),
            ('project_asset_overrides', array['EXECUTE']),
            ('undo_project_asset_change', array['EXECUTE']),
            ('text_diff', array['EXECUTE']),
            ('project_asset_visual_diff', array['EXECUTE']),
            ('push_project_asset_fields', array['EXECUTE']),
            ('preview_sync_global_asset', array['EXECUTE']),
            ('preview_global_asset_change', array['EXECUTE']),
            -- They change the schema or a database-wide setting: the owner only.
            ('asset_sync_refresh', array[]::text[]),
            ('asset_sync_attach', array[]::text[]),
            ('set_synced_field_merge', array[]::text[])
    ),

    -- Code generation and schema changes: nobody but the owner calls them.
    internal_denied (proname) as (
        values
            ('installed_body'::name),
            ('generated_function_ddl'),
            ('synced_field_catalog'),
            ('comparison_mode'),
            ('column_type'),
            ('drop_generated'),
            ('single_key_column'),
            ('comment_if_missing'),
            ('add_attach_checks'),
            ('create_history_table'),
            ('create_journal_table'),
            ('api_privileges'),
            ('apply_privileges'),
            ('grant_to'),
            ('revoke_from')
    )

    select
        'schema',
        pg_catalog.quote_ident(n.nspname),
        n.oid,
        n.nspowner,
        n.nspacl,
        array['USAGE']
    from pg_catalog.pg_namespace as n
    where n.nspname = 'assetsync'

    union all

    select
        case when c.relkind = 'S' then 'sequence' else 'table' end,
        c.oid::regclass::text,
        c.oid,
        c.relowner,
        c.relacl,
        coalesce(r.privileges, array[]::text[])
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    left join managed_relations as r on c.oid = r.relid
    where
        c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and (
            n.nspname = 'assetsync'
            or r.relid is not null
            -- a sequence owned by one of the tables above (serial or identity)
            or exists (
                select
                from pg_catalog.pg_depend as d
                inner join managed_relations as tr on d.refobjid = tr.relid
                where
                    d.classid = 'pg_catalog.pg_class'::regclass
                    and d.objid = c.oid
                    and d.refclassid = 'pg_catalog.pg_class'::regclass
                    and d.deptype in ('a', 'i')
            )
        )

    union all

    select
        'function',
        p.oid::regprocedure::text,
        p.oid,
        p.proowner,
        p.proacl,
        case
            when n.nspname = 'public' then f.privileges
            when p.proname like 'generate\_%' or p.proname like 'sql\_%' then array[]::text[]
            when p.proname in (select i.proname from internal_denied as i) then array[]::text[]
            else array['EXECUTE']
        end
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
    left join public_functions as f on n.nspname = 'public' and p.proname = f.proname
    where n.nspname = 'assetsync' or f.proname is not null

    union all

    -- Standalone types (composite, enum, domain, range) of the internal schema: nobody needs them.
    select
        'type',
        t.oid::regtype::text,
        t.oid,
        t.typowner,
        t.typacl,
        array[]::text[]
    from pg_catalog.pg_type as t
    inner join pg_catalog.pg_namespace as n on t.typnamespace = n.oid
    left join pg_catalog.pg_class as c on t.typrelid = c.oid
    where
        n.nspname = 'assetsync'
        and t.typtype in ('c', 'd', 'e', 'r', 'm')
        and (t.typtype <> 'c' or c.relkind = 'c')
$fn$;

comment on function assetsync.api_privileges() is
'Every object whose privileges assetsync manages (the schema assetsync and everything in it; its own tables '
'when it made them, the history table, and the views and functions of public that the contract names) with '
'its owner, its ACL and exactly the privileges an API role recorded in assetsync.api_grantees gets on it '
'(empty: owner only). assetsync.apply_privileges() applies it; see docs/supabase.md.';
