-- Attaches assetsync to the library table and the copies table an app already has, as supa_audit's
-- enable_tracking() or the audit trigger's audit_table() attach to a table: one call, nothing renamed,
-- nothing moved. It adds only what is missing (the bookkeeping columns, their checks, the partial index,
-- the history table), never rewrites a table (every added column has a constant default or none), never
-- touches the app's columns or policies, gives existing library rows their first version and existing
-- linked copies a start in step, records the pair in assetsync.attachment and generates the code.
--
-- Every check comes before the first change, so a refused attach changes nothing: 22023 for an unknown
-- option or one naming a missing column, 42P16 for tables that cannot be attached as they are, 55000 when
-- another pair (or this pair with other options) is attached already.

create or replace function public.asset_sync_attach(
    p_library regclass, p_copies regclass, p_options jsonb default '{}'
)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set "assetsync.writer" = 'library'
as $fn$
declare
    v_option text;
    v_link name;
    v_project name;
    v_versions_name name;
    v_exclude text[];
    v_library_key name;
    v_copies_key name;
    v_key_type text;
    v_link_type text;
    v_fk record;
    v_projects regclass;
    v_projects_key name;
    v_versions regclass;
    v_existing assetsync.attachment;
    v_pair assetsync.attachment;
    v_column record;
    v_added jsonb := '[]'::jsonb;
    v_fields assetsync.synced_field[];
    v_snapshot record;
    v_differs text;
    v_bad text;
    v_unversioned bigint;
    v_app_objects text[];
begin
    if p_library is null or p_copies is null or p_options is null then
        raise exception using
            errcode = '22004',
            message = 'asset_sync_attach() needs a library table, a copies table and options (''{}'' for none)';
    end if;
    if pg_catalog.jsonb_typeof(p_options) <> 'object' then
        raise exception using
            errcode = '22023',
            message = 'the options of asset_sync_attach() must be a JSON object',
            hint = 'For example {"link_column": "library_item_id", "exclude": "notes,status"}.';
    end if;
    -- One attach or refresh at a time (the lock asset_sync_refresh() takes).
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('assetsync.asset_sync_refresh'));

    -- The options: strings, as on the command line.
    for v_option in select k.key from pg_catalog.jsonb_each(p_options) as k order by k.key loop
        if v_option <> all(array['link_column', 'project_column', 'versions_table', 'exclude']) then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format('unknown option %L of asset_sync_attach()', v_option),
                hint = 'The options are link_column, project_column, versions_table and exclude.';
        end if;
        if pg_catalog.jsonb_typeof(p_options -> v_option) <> 'string' then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format('option %L must be a string', v_option),
                hint = 'Give option values as strings, as on the command line: {"exclude": "a,b"}.';
        end if;
    end loop;
    v_link := coalesce(p_options ->> 'link_column', 'global_asset_id');
    v_project := coalesce(p_options ->> 'project_column', 'project_id');
    v_versions_name := coalesce(p_options ->> 'versions_table', 'global_asset_versions');
    v_exclude := array(
        select pg_catalog.btrim(e.name)
        from pg_catalog.regexp_split_to_table(coalesce(p_options ->> 'exclude', ''), ',') as e (name)
        where pg_catalog.btrim(e.name) <> ''
    );

    -- The tables: each needs a one-column primary key.
    v_library_key := assetsync.single_key_column(p_library);
    v_copies_key := assetsync.single_key_column(p_copies);
    if p_library = p_copies then
        raise exception using
            errcode = '42P16',
            message = pg_catalog.format('%s cannot be both the library and the copies', p_library),
            hint = 'Attach a library table and a separate table of per-project copies.';
    end if;
    v_key_type := assetsync.column_type(p_library, v_library_key);

    -- The link column: the library key's type, and a foreign key that detaches copies on delete.
    v_link_type := assetsync.column_type(p_copies, v_link);
    if v_link_type is not null and v_link_type <> v_key_type then
        raise exception using
            errcode = '42P16',
            message = pg_catalog.format(
                'link column %I of %s is %s, but the key %I of %s is %s',
                v_link, p_copies, v_link_type, v_library_key, p_library, v_key_type
            ),
            hint = 'Give the link column the type of the library key, or name another with the option link_column.';
    end if;
    for v_fk in
        select c.conname, c.confdeltype, c.confrelid::regclass as target
        from pg_catalog.pg_constraint as c
        inner join pg_catalog.pg_attribute as a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
        where c.conrelid = p_copies and c.contype = 'f' and a.attname = v_link
    loop
        if v_fk.target <> p_library or v_fk.confdeltype <> 'n' then
            raise exception using
                errcode = '42P16',
                message = pg_catalog.format(
                    'foreign key %I of link column %I must reference %s with ON DELETE SET NULL',
                    v_fk.conname, v_link, p_library
                ),
                detail = 'Deleting a library row detaches its copies: every value in them is kept.',
                hint = pg_catalog.format(
                    'Drop the constraint and let asset_sync_attach() add it, or: alter table %s drop constraint %I, '
                    || 'add foreign key (%I) references %s on delete set null;',
                    p_copies, v_fk.conname, v_link, p_library
                );
        end if;
    end loop;

    -- The project column: it must exist and reference the projects table.
    if assetsync.column_type(p_copies, v_project) is null then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('option project_column names %I, which %s does not have', v_project, p_copies),
            hint = 'Name the column of the copies that references their project: {"project_column": "..."}.';
    end if;
    select c.confrelid::regclass, a.attname into v_projects, v_projects_key
    from pg_catalog.pg_constraint as c
    inner join pg_catalog.pg_attribute as a on a.attrelid = c.confrelid and a.attnum = c.confkey[1]
    where
        c.conrelid = p_copies and c.contype = 'f' and pg_catalog.cardinality(c.conkey) = 1
        and c.conkey[1] = (
            select x.attnum from pg_catalog.pg_attribute as x where x.attrelid = p_copies and x.attname = v_project
        )
    order by c.conname
    limit 1;
    if v_projects is null then
        raise exception using
            errcode = '42P16',
            message = pg_catalog.format('project column %I of %s has no foreign key', v_project, p_copies),
            detail = 'clone_global_asset() and sync_project() check that the caller can see the project there.',
            hint = pg_catalog.format(
                'Add one: alter table %s add foreign key (%I) references <your projects table>;', p_copies, v_project
            );
    end if;

    -- Excluded columns must be in both tables.
    select e.name into v_bad
    from unnest(v_exclude) as e (name)
    where assetsync.column_type(p_library, e.name) is null or assetsync.column_type(p_copies, e.name) is null
    limit 1;
    if found then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('option exclude names %I, which is not a column of both tables', v_bad),
            hint = pg_catalog.format('Exclude only columns that %s and %s share.', p_library, p_copies);
    end if;

    -- Bookkeeping columns that exist must have the right type; an existing one is used as it is.
    for v_column in
        select b.tbl, b.col, b.want, assetsync.column_type(b.tbl, b.col) as have
        from (
            values
            (p_library, 'version'::name, 'integer'),
            (p_copies, 'global_version'::name, 'integer'),
            (p_copies, 'last_synced_at'::name, 'timestamp with time zone'),
            (p_copies, 'overridden_fields'::name, 'text[]'),
            (p_copies, 'sync_conflicts'::name, 'jsonb')
        ) as b (tbl, col, want)
    loop
        if v_column.have is not null and v_column.have <> v_column.want then
            raise exception using
                errcode = '42P16',
                message = pg_catalog.format(
                    'column %I of %s is %s; assetsync needs it to be %s',
                    v_column.col, v_column.tbl, v_column.have, v_column.want
                ),
                hint = 'Rename or change that column, then attach again.';
        end if;
    end loop;

    -- The history table: made by assetsync, in the library's schema.
    v_versions := pg_catalog.to_regclass(
        pg_catalog.format('%I.%I', (select n.nspname from pg_catalog.pg_class as c
            inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid where c.oid = p_library),
        v_versions_name)
    );
    if v_versions is not null and assetsync.column_type(v_versions, 'snapshot') is distinct from 'jsonb' then
        raise exception using
            errcode = '42P16',
            message = pg_catalog.format('%s exists and is not an assetsync history table', v_versions),
            hint = 'Name another history table with the option versions_table.';
    end if;

    -- An existing version column is kept as it is: each row's version is the base of its first snapshot, so
    -- it must be a version (from 1) on every row.
    if assetsync.column_type(p_library, 'version') is not null then
        execute pg_catalog.format('select pg_catalog.count(*) from %s where version is null or version < 1', p_library)
        into v_unversioned;
        if v_unversioned > 0 then
            raise exception using
                errcode = '42P16',
                message = pg_catalog.format(
                    'column version of %s is NULL or below 1 in %s row(s); assetsync needs a version from 1 on '
                    || 'every row', p_library, v_unversioned
                ),
                detail = 'An existing version column is kept: each row''s version is the base of its first snapshot.',
                hint = pg_catalog.format(
                    'Give those rows a version, for example: update %s set version = 1 where version is null '
                    || 'or version < 1; or rename the column, then attach again.', p_library
                );
        end if;
    end if;

    -- One pair per database.
    select a.* into v_existing from assetsync.attachment as a;
    if found then
        -- The same pair with the same effective options (defaults spelled out or not): nothing to do.
        if v_existing.library = p_library and v_existing.copies = p_copies
            and v_existing.link_column = v_link and v_existing.project_column = v_project
            and (select c.relname from pg_catalog.pg_class as c where c.oid = v_existing.versions) = v_versions_name
            and array(select e from unnest(v_existing.excluded_columns) as e order by e)
            = array(select e from unnest(v_exclude) as e order by e) then
            return;
        end if;
        raise exception using
            errcode = '55000',
            message = pg_catalog.format(
                'assetsync is attached to %s and %s already', v_existing.library, v_existing.copies
            ),
            detail = pg_catalog.format('They were attached with the options %s.', v_existing.options),
            hint = 'One pair per database: run `assetsync uninstall`, then attach again.';
    end if;

    -- Everything checked: add what is missing. No table is rewritten: constant defaults only.
    -- What the app has now (constraints, indexes, column comments), so that what attach adds besides columns
    -- is recorded below and uninstall removes it.
    v_app_objects := array(
        select 'constraint ' || c.conname from pg_catalog.pg_constraint as c where c.conrelid = p_copies
        union all
        select 'index ' || i.indexrelid::regclass::text from pg_catalog.pg_index as i where i.indrelid = p_copies
        union all
        select 'comment ' || a.attrelid::regclass::text || '.' || a.attname
        from pg_catalog.pg_attribute as a
        where a.attrelid in (p_library, p_copies) and pg_catalog.col_description(a.attrelid, a.attnum) is not null
    );
    if assetsync.column_type(p_library, 'version') is null then
        execute pg_catalog.format('alter table %s add column version integer not null default 1', p_library);
        v_added := v_added || pg_catalog.jsonb_build_object('table', p_library::text, 'column', 'version');
    end if;
    if v_link_type is null then
        execute pg_catalog.format(
            'alter table %s add column %I %s references %s (%I) on delete set null',
            p_copies, v_link, v_key_type, p_library, v_library_key
        );
        v_added := v_added || pg_catalog.jsonb_build_object('table', p_copies::text, 'column', v_link);
    elsif not exists (
        select
        from pg_catalog.pg_constraint as c
        inner join pg_catalog.pg_attribute as a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
        where c.conrelid = p_copies and c.contype = 'f' and a.attname = v_link
    ) then
        -- NOT VALID: existing rows are not scanned; new and updated rows are checked.
        execute pg_catalog.format(
            'alter table %s add foreign key (%I) references %s (%I) on delete set null not valid',
            p_copies, v_link, p_library, v_library_key
        );
    end if;
    -- plpgsql_check: from here on, the executed SQL comes from constants below and from the code generation
    -- helpers, with every name through format('%I') or regclass.
    perform 'PRAGMA:disable:security_warnings';
    for v_column in
        select b.col, b.ddl
        from (
            values
            ('global_version'::name, 'integer'),
            ('last_synced_at'::name, 'timestamptz'),
            ('overridden_fields'::name, 'text[] not null default ''{}'''),
            ('sync_conflicts'::name, 'jsonb not null default ''{}''')
        ) as b (col, ddl)
        where assetsync.column_type(p_copies, b.col) is null
    loop
        execute pg_catalog.format('alter table %s add column %I %s', p_copies, v_column.col, v_column.ddl);
        v_added := v_added || pg_catalog.jsonb_build_object('table', p_copies::text, 'column', v_column.col);
    end loop;
    perform assetsync.add_attach_checks(p_copies, v_link);

    if v_versions is null then
        v_versions := assetsync.create_history_table(p_library, v_library_key, v_versions_name);
    end if;
    perform assetsync.comment_if_missing(p_library, 'version', 'The version of this row''s synced fields, '
        || 'from 1, raised by 1 for each UPDATE that changes one (maintained by assetsync).');
    perform assetsync.comment_if_missing(p_copies, v_link, 'The library row this copy was cloned from and '
        || 'syncs with; NULL for a local or detached copy (assetsync).');
    perform assetsync.comment_if_missing(p_copies, 'global_version', 'The library version this copy last '
        || 'pulled: the base of its next three-way sync (written only by assetsync).');
    perform assetsync.comment_if_missing(p_copies, 'last_synced_at', 'When this copy was last linked or '
        || 'synced (written only by assetsync).');
    perform assetsync.comment_if_missing(p_copies, 'overridden_fields', 'The synced fields edited in this copy: '
        || 'a sync keeps their values (assetsync).');
    perform assetsync.comment_if_missing(p_copies, 'sync_conflicts', 'Per overridden field the library changed '
        || 'too: {base, local, global, global_version, detected_at} (written only by assetsync).');

    -- Besides the columns, added_columns records the constraints, indexes and column comments attach made:
    -- uninstall removes those and keeps the columns (unless --drop-columns).
    v_added := v_added || coalesce((
        select pg_catalog.jsonb_agg(o.item order by o.item::text)
        from (
            select pg_catalog.jsonb_build_object('table', p_copies::text, 'constraint', c.conname) as item
            from pg_catalog.pg_constraint as c
            where c.conrelid = p_copies and 'constraint ' || c.conname <> all(v_app_objects)
            union all
            select pg_catalog.jsonb_build_object('table', p_copies::text, 'index', i.indexrelid::regclass::text)
            from pg_catalog.pg_index as i
            where i.indrelid = p_copies and 'index ' || i.indexrelid::regclass::text <> all(v_app_objects)
            union all
            select pg_catalog.jsonb_build_object('table', a.attrelid::regclass::text, 'comment', a.attname)
            from pg_catalog.pg_attribute as a
            where
                a.attrelid in (p_library, p_copies) and pg_catalog.col_description(a.attrelid, a.attnum) is not null
                and 'comment ' || a.attrelid::regclass::text || '.' || a.attname <> all(v_app_objects)
        ) as o
    ), '[]');

    insert into assetsync.attachment (
        library, copies, versions, projects, library_key, copies_key, projects_key, link_column,
        project_column, excluded_columns, options, owns_tables, added_columns
    )
    values (
        p_library, p_copies, v_versions, v_projects, v_library_key, v_copies_key, v_projects_key, v_link,
        v_project, v_exclude, p_options, false, v_added
    )
    returning * into v_pair;

    v_fields := array(select f from assetsync.synced_field_catalog(v_pair, true) as f);

    -- Existing library rows get their first version (or one at the version they keep), before the
    -- append-only trigger of the history exists.
    select s.snapshot, s.null_fields into v_snapshot from assetsync.sql_snapshot(v_fields, 'l') as s;
    execute pg_catalog.format(
        'insert into %1$s (global_asset_id, version, snapshot, changed_fields, null_fields) '
        || 'select l.%2$I, l.version, %3$s, %4$L::text[], %5$s from %6$s as l '
        || 'where not exists (select from %1$s as v where v.global_asset_id = l.%2$I and v.version = l.version)',
        v_versions, v_library_key, v_snapshot.snapshot,
        (select coalesce(pg_catalog.array_agg(f.name), '{}') from unnest(v_fields) as f),
        v_snapshot.null_fields, p_library
    );

    -- Existing linked copies start in step: at their global's version, the valid override names kept
    -- and every field that differs from the global marked, no conflict.
    select coalesce(
        pg_catalog.string_agg(
            pg_catalog.format(
                'case when %s then %L end',
                assetsync.sql_is_distinct(pg_catalog.format('c.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                u.name
            ),
            ', ' order by u.n
        ),
        'null'
    )
    into v_differs
    from unnest(v_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);
    execute pg_catalog.format(
        $sql$
        update %1$s as c
        set
            global_version = g.version,
            last_synced_at = pg_catalog.now(),
            sync_conflicts = '{}',
            overridden_fields = array(
                select f.name
                from unnest($1) with ordinality as f (name, n)
                where f.name = any(c.overridden_fields) or f.name = any(array[%2$s]::text[])
                order by f.n
            )
        from %3$s as g
        where c.%4$I = g.%5$I
        $sql$,
        p_copies, v_differs, p_library, v_link, v_library_key
    )
    using array(select f.name from unnest(v_fields) as f);
    -- Copies that are not linked keep no stray override names either, and none keeps a NULL list (an app's
    -- nullable overridden_fields): NULL is no override, and tracking needs a list to add to.
    execute pg_catalog.format(
        'update %1$s as c set overridden_fields = array('
        || 'select f.name from unnest($1) with ordinality as f (name, n) '
        || 'where f.name = any(c.overridden_fields) order by f.n) '
        || 'where c.%2$I is null and (c.overridden_fields is null or not (c.overridden_fields <@ $1))',
        p_copies, v_link
    )
    using array(select f.name from unnest(v_fields) as f);

    perform public.asset_sync_refresh();
end;
$fn$;

comment on function public.asset_sync_attach(regclass, regclass, jsonb) is
'Attaches assetsync to an app''s own library table and copies table (one pair per database): adds only the '
'missing bookkeeping columns (version; global_version, last_synced_at, overridden_fields, sync_conflicts and '
'the link column), their checks and the partial index, creates the history table, gives existing library rows '
'their first version and existing linked copies a start in step, then generates the triggers and functions. '
'Options (strings): link_column, project_column, versions_table, exclude (comma-separated). Never rewrites a '
'table, drops or renames a column, or changes the app''s policies. Again with the same pair and options '
'(defaults spelled out or not): no change; with another pair or other options: 55000. Errors: 22023 bad '
'option, 42P16 tables that cannot be attached.';

-- Changes the schema: only the owner (the migrating role) calls it.
revoke all on function public.asset_sync_attach(regclass, regclass, jsonb) from public;
