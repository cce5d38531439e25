-- Generates the one UPDATE that every generated sync runs (a single copy, a list, every copy of a
-- global): the SELECT of assetsync.sql_pull_select() for the rows matching p_where, written back field by
-- field with the new sync_conflicts, global_version and last_synced_at, and the journal rows of the copies
-- it changed, set-based in the same statement (a row trigger would cost a fan-out ten times as much),
-- unless the transaction-local setting "assetsync.journal_by_caller" is 'on' (push_project_asset_fields
-- journals its whole operation as one push row).

create or replace function assetsync.sql_pull_update(
    p_fields assetsync.synced_field[], p_pair assetsync.attachment, p_where text, p_returning text
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_journal record;
begin
    select e.* into v_journal from assetsync.sql_journal_entries(p_fields, '(u.old_row)', '(u.new_row)') as e;
    return pg_catalog.format(
        assetsync.sql_render($tpl$with s as (
        %1$s
    ),
    u as (
        update {copies} as t
        set
%2$s            sync_conflicts = s.sync_conflicts,
            global_version = s.to_version,
            last_synced_at = pg_catalog.now()
        from s
        -- The target rows restricted as the read is, so that the join reads only the copies concerned
        -- (without it, a fan-out hashed every row of the copies table).
        where t.{copies_key} = s.id and %7$s
        returning
            s.id,
            s.old_row,
            t as new_row,
            (
                s.to_version is distinct from s.from_version or s.updated_fields <> '{}'
                or s.conflict_fields <> '{}' or s.sync_conflicts <> s.old_sync_conflicts
            ) as changed,
            s.conflict_fields,
            s.merged_fields%3$s
    ),
    -- The live notices of the copies whose sync wrote conflict entries or merged fields, sent at commit:
    -- one queue row for the whole statement, whatever the number of copies.
    n as (
        insert into assetsync.notice_queue (event, entries, flush)
        select
            'conflict',
            pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                (u.new_row).{link}, u.id, (u.new_row).{project}, u.conflict_fields, u.merged_fields
            )),
            assetsync.notice_first()
        from u
        where u.conflict_fields <> '{}' or u.merged_fields <> '{}'
        having pg_catalog.count(*) > 0
    ),
    -- The journal: one row per copy the sync changed, in one insert, with no function call per row.
    j as (
        insert into public.project_asset_changes (
            project_asset_id, kind, fields, before, after, actor, db_role, application_name
        )
        select
            u.id,
            'sync',
            %4$s,
            %5$s
            || case
                when (u.old_row).global_version is distinct from (u.new_row).global_version
                    then pg_catalog.jsonb_build_object('global_version', (u.old_row).global_version)
                else '{}'::jsonb
            end,
            %6$s
            || case
                when (u.old_row).global_version is distinct from (u.new_row).global_version
                    then pg_catalog.jsonb_build_object('global_version', (u.new_row).global_version)
                else '{}'::jsonb
            end,
            (select public.request_user_id()),
            current_user,
            nullif(pg_catalog.current_setting('application_name', true), '')
        from u
        where u.changed
            -- A caller that journals the whole operation itself (push) sets this for its call.
            and (select pg_catalog.current_setting('assetsync.journal_by_caller', true)) is distinct from 'on'
    )$tpl$, p_pair),
        assetsync.sql_pull_select(p_fields, p_pair, p_where),
        (
            select pg_catalog.string_agg(pg_catalog.format(E'            %I = s.%I,\n', u.name, 'new_' || u.name), '' order by u.n)
            from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
        ),
        p_returning,
        v_journal.fields,
        v_journal.before,
        v_journal.after,
        assetsync.sql_render(pg_catalog.regexp_replace(p_where, '\mpa\.', 't.', 'g'), p_pair)
    );
end;
$fn$;

comment on function assetsync.sql_pull_update(assetsync.synced_field[], assetsync.attachment, text, text) is
'Code generation helper: the WITH of the generated syncs for the project assets matching p_where: the UPDATE '
'(returning id, old_row, new_row, changed and p_returning) and the journal insert of the copies it changed; '
'the caller selects from u. Used by assetsync.generate_pull, generate_pull_one and generate_pull_global.';
