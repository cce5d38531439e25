-- Generates the tracking trigger function of project_assets. A tracked UPDATE that edits only fields
-- already marked pays for updated_at and one IF: the rare paths (link, bookkeeping, a client-written
-- override list), else "a synced field changed and is not yet marked" (IS DISTINCT FROM per field). The
-- rare paths' variables live in their own block, so the hot path initialises none. A first mark computes
-- its journal row as PL/pgSQL expressions (set up once per transaction) and inserts only parameters: the
-- INSERT's executor is set up anew for every row.

create or replace function assetsync.generate_tg_project_assets__track(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_unmarked text;
    v_marks text;
    v_link_marks text;
    v_link text;
    v_journal record;
begin
    -- The journal row of a first mark: its fields are the names just marked (v_marks in the trigger).
    select e.* into v_journal from assetsync.sql_journal_entries(p_for.fields, 'old', 'new', 'v_marks') as e;

    -- Per field: "changed by this UPDATE and not yet marked", the only test a tracked row pays for.
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '(%s and not (%L = any(new.overridden_fields)))',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.name), pg_catalog.format('old.%I', u.name), u.comparison),
                u.name
            ),
            E'\n            or ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'                    case when %s and not (%L = any(new.overridden_fields)) then %L end',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.name), pg_catalog.format('old.%I', u.name), u.comparison),
                u.name,
                u.name
            ),
            E',\n' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'        case when %s then %L end',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.name), pg_catalog.format('v_global.%I', u.name), u.comparison),
                u.name
            ),
            E',\n' order by u.n
        )
    into v_unmarked, v_marks, v_link_marks
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    -- Linking (INSERT with global_asset_id, or an UPDATE that sets or changes it) wins over tracking:
    -- the overridden fields are exactly those that differ from the global.
    v_link := pg_catalog.format(
        assetsync.sql_render($link$    select g.* into v_global from {library} as g where g.{library_key} = new.{link};
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %%s does not exist or is not visible', new.{link}),
            detail = pg_catalog.format('Project asset %%s cannot be linked to it.', new.{copies_key}),
            hint = 'Link only global assets of your own library.';
    end if;
    new.global_version := v_global.version;
    new.last_synced_at := pg_catalog.now();
    new.sync_conflicts := '{}';
    new.overridden_fields := pg_catalog.array_remove(array[
%1$s
    ]::text[], null);
    return new;$link$, p_for.pair),
        coalesce(v_link_marks, '        null')
    );

    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_project_assets__track',
        p_for.fields,
        'assetsync.tg_project_assets__track',
        '',
        '',
        'trigger',
        '{volatile}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_marks text[];
    v_before jsonb;
    v_after jsonb;
begin
    if tg_op = 'UPDATE' then
%5$s        -- The hot path is these two tests, in one IF: the rare paths (the override list, the link or the
        -- bookkeeping changed), then a synced field changed that is not yet marked. An edit of already-marked
        -- fields evaluates nothing else (every expression a row evaluates costs a one-row transaction its
        -- setup), and the library's writes (which change the bookkeeping) evaluate the first test only.
        if new.overridden_fields is distinct from old.overridden_fields
            or new.{link} is distinct from old.{link}
            or new.global_version is distinct from old.global_version
            or new.last_synced_at is distinct from old.last_synced_at
            or new.sync_conflicts is distinct from old.sync_conflicts then
            if tg_when <> 'BEFORE' or tg_level <> 'ROW' then
                raise exception using
                    errcode = '39P01',
                    message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
                    hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on {copies}.';
            end if;
            declare
                v_global {library};
                v_old jsonb;
                v_new jsonb;
            begin
                -- overridden_fields only ever holds synced field names, as a set: whoever writes it.
                if new.overridden_fields is distinct from old.overridden_fields then
                    new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.{copies_key}::text);
                end if;
                -- The library's own writes (functions declared with SET assetsync.writer = 'library') never mark.
                if pg_catalog.current_setting('assetsync.writer', true) = 'library' then
                    return new;
                end if;
                if new.global_version is distinct from old.global_version
                    or new.last_synced_at is distinct from old.last_synced_at
                    or new.sync_conflicts is distinct from old.sync_conflicts then
                    raise exception using
                        errcode = '22023',
                        message = pg_catalog.format(
                            'column %%s of project asset %%s is written only by the asset library',
                            case
                                when new.global_version is distinct from old.global_version then 'global_version'
                                when new.last_synced_at is distinct from old.last_synced_at then 'last_synced_at'
                                else 'sync_conflicts'
                            end,
                            old.{copies_key}
                        ),
                        detail = 'global_version, last_synced_at and sync_conflicts are bookkeeping of the sync functions.',
                        hint = 'Use sync_project_asset(), resolve_sync_conflict() or revert_project_asset_fields().';
                end if;
                if new.{link} is distinct from old.{link} and new.{link} is not null then
%3$s
                end if;
                -- Detaching (global_asset_id set to NULL) keeps every value, the overrides, global_version
                -- and the conflict entries, as a record of where the copy stood: plain tracking follows.
                if %1$s then
                    new.overridden_fields := new.overridden_fields || pg_catalog.array_remove(array[
%2$s
                    ]::text[], null);
                end if;
                -- A client cleared the link, or wrote overridden_fields: journal it from the two states.
                v_old := assetsync.copy_state(old);
                v_new := assetsync.copy_state(new);
                if old.{link} is not null and new.{link} is null then
                    perform assetsync.journal('unlink', new.{copies_key}, v_old, v_new);
                else
                    perform assetsync.journal('unprotect', new.{copies_key}, v_old, v_new, array(
                        select o.name from unnest(old.overridden_fields) as o (name)
                        where not (o.name = any(coalesce(new.overridden_fields, '{}')))
                    ));
                    perform assetsync.journal('override', new.{copies_key}, v_old, v_new, array(
                        select o.name from unnest(new.overridden_fields) as o (name)
                        where not (o.name = any(coalesce(old.overridden_fields, '{}')))
                    ));
                end if;
                return new;
            end;
        elsif %1$s then
            if tg_when <> 'BEFORE' or tg_level <> 'ROW' then
                raise exception using
                    errcode = '39P01',
                    message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
                    hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on {copies}.';
            end if;
            -- A client's first mark of a field (the library's writes never mark): one journal row, whose
            -- before and after are computed here, as PL/pgSQL expressions set up once per transaction,
            -- so that the INSERT, whose executor is set up anew for every row, holds only parameters.
            if pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library' then
                v_marks := pg_catalog.array_remove(array[
%2$s
                ]::text[], null);
                new.overridden_fields := new.overridden_fields || v_marks;
                v_before := %6$s;
                v_after := %7$s;
                insert into public.project_asset_changes (
                    project_asset_id, kind, fields, before, after, actor, db_role, application_name
                )
                values (
                    new.{copies_key},
                    'override',
                    v_marks,
                    v_before,
                    v_after,
                    public.request_user_id(),
                    current_user,
                    nullif(pg_catalog.current_setting('application_name', true), '')
                );
            end if;
        end if;
        return new;
    end if;

    if tg_op <> 'INSERT' or tg_when <> 'BEFORE' or tg_level <> 'ROW' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on {copies}.';
    end if;
    if pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library'
        and (new.global_version is not null or new.last_synced_at is not null or new.sync_conflicts <> '{}') then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'column %%s of project asset %%s is written only by the asset library',
                case
                    when new.global_version is not null then 'global_version'
                    when new.last_synced_at is not null then 'last_synced_at'
                    else 'sync_conflicts'
                end,
                new.{copies_key}
            ),
            detail = 'A new project asset gets them from linking: leave them out of the INSERT.',
            hint = 'Set global_asset_id to link the row, or use clone_global_asset().';
    end if;
    new.sync_conflicts := coalesce(new.sync_conflicts, '{}');
    if new.overridden_fields is distinct from '{}' then
        new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.{copies_key}::text);
    end if;
    if new.{link} is null then
        return new;
    end if;
    declare
        v_global {library};
    begin
%4$s
    end;
end;
$tpl$, p_for.pair),
            coalesce(v_unmarked, 'false'),
            coalesce(v_marks, '                    null'),
            '                ' || pg_catalog.replace(
                pg_catalog.replace(
                    v_link,
                    E'\n    return new;',
                    assetsync.sql_render(
                        E'\n    perform assetsync.journal(\n        ''link'', new.{copies_key}, '
                        || E'assetsync.copy_state(old), assetsync.copy_state(new)\n    );\n    return new;',
                        p_for.pair,
                        false
                    )
                ),
                E'\n    ',
                E'\n                    '
            ),
            '    ' || pg_catalog.replace(v_link, E'\n', E'\n    '),
            case when assetsync.column_type((p_for.pair).copies, 'updated_at') is not null then
                E'        new.updated_at := pg_catalog.now();\n'
            end,
            v_journal.before,
            v_journal.after
        ),
        'Trigger function of project_assets_100_track (BEFORE INSERT OR UPDATE, per row): adds each synced '
        'field a client UPDATE changes to overridden_fields; links a row whose global_asset_id is set or '
        'changed (records global_version and last_synced_at, clears sync_conflicts, marks the fields that '
        'differ from the global); detaches a row whose global_asset_id becomes NULL; rejects client writes '
        'of global_version, last_synced_at and sync_conflicts (22023); checks overridden_fields (23514). '
        'Writes by the library''s functions (SET assetsync.writer = ''library'') are not tracked. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_project_assets__track(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_project_assets__track(); called by asset_sync_refresh().';
