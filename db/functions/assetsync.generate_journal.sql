-- Generates assetsync.journal(): writes one journal row for a change of one copy, from its states before
-- and after (assetsync.copy_state()). A change that altered nothing writes no row (except an undo).

create or replace function assetsync.generate_journal(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_journal',
        p_for.fields,
        'assetsync.journal',
        assetsync.sql_render(
            'p_kind text, p_project_asset_id {copies_key_type}, p_before jsonb, p_after jsonb, '
            || 'p_names text[] default null, p_undoes bigint default null',
            p_for.pair,
            false
        ),
        assetsync.sql_render('text, {copies_key_type}, jsonb, jsonb, text[], bigint', p_for.pair, false),
        'bigint',
        '{volatile}',
        $tpl$
declare
    v_diff record;
    v_id bigint;
begin
    select d.fields, d.before, d.after into v_diff
    from assetsync.journal_diff(p_before, p_after, p_names, p_kind in ('link', 'unlink')) as d;
    if p_kind <> 'undo' and v_diff.fields = '{}'
        and not (v_diff.before ? 'global_version' or v_diff.before ? 'global_asset_id') then
        return null;
    end if;
    insert into public.project_asset_changes (
        project_asset_id, kind, fields, before, after, undoes, actor, db_role, application_name
    )
    values (
        p_project_asset_id, p_kind, v_diff.fields, v_diff.before, v_diff.after, p_undoes,
        public.request_user_id(), current_user, nullif(pg_catalog.current_setting('application_name', true), '')
    )
    returning id into v_id;
    return v_id;
end;
$tpl$,
        'Writes one row of public.project_asset_changes for a change of kind p_kind of one copy, from its states '
        'before and after (assetsync.copy_state()); returns its id, or NULL when the change altered nothing. '
        'Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_journal(assetsync.generator_input) is
'Generator of assetsync.journal(); called by asset_sync_refresh().';
