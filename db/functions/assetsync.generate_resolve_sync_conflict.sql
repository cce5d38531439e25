-- Close one conflict the way the user chose in the side-by-side diff.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_resolve_sync_conflict(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_resolve_sync_conflict',
        p_for.fields,
        'public.resolve_sync_conflict',
        assetsync.sql_render('p_project_asset_id {copies_key_type}, p_field text, p_resolution text', p_for.pair, false),
        assetsync.sql_render('{copies_key_type}, text, text', p_for.pair, false),
        assetsync.sql_render('void', p_for.pair, false),
        array['volatile', 'set "assetsync.writer" = ''library'''],
        assetsync.sql_render(
            $tpl$declare
    v_row {copies};
begin
    if p_project_asset_id is null or p_field is null or p_resolution is null then
        raise exception using
            errcode = '22004',
            message = pg_catalog.format(
                '%s must not be NULL',
                case
                    when p_project_asset_id is null then 'p_project_asset_id'
                    when p_field is null then 'p_field'
                    else 'p_resolution'
                end
            ),
            hint = 'Pass a project asset id, a field name and keep_local or take_global.';
    end if;
    if p_resolution not in ('keep_local', 'take_global') then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('%L is not a conflict resolution', p_resolution),
            hint = 'Use keep_local or take_global.';
    end if;
    perform assetsync.checked_field_names(array[p_field]);
    v_row := assetsync.lock_project_asset(p_project_asset_id, true);
    if not v_row.sync_conflicts ? p_field then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('project asset %s has no sync conflict on field %s', p_project_asset_id, p_field),
            detail = pg_catalog.format(
                'Its conflicts are on: %s.',
                coalesce(nullif(array_to_string(array(select pg_catalog.jsonb_object_keys(v_row.sync_conflicts)), ', '), ''), 'none')
            ),
            hint = 'See project_asset_diff() or project_asset_sync_status for the open conflicts.';
    end if;
    if p_resolution = 'keep_local' then
        -- "The field stays overridden": even if the client un-protected it meanwhile, keeping the local
        -- value means protecting it from the next sync.
        update {copies} as pa
        set
            sync_conflicts = pa.sync_conflicts - p_field,
            overridden_fields = case
                when p_field = any(pa.overridden_fields) then pa.overridden_fields
                else pa.overridden_fields || p_field
            end
        where pa.{copies_key} = p_project_asset_id;
    else
        perform assetsync.revert_fields(p_project_asset_id, array[p_field]);
    end if;
    perform assetsync.journal(
        'resolve', p_project_asset_id, assetsync.copy_state(v_row), assetsync.copy_state(
            (select pa from {copies} as pa where pa.{copies_key} = p_project_asset_id)
        )
    );
end;
$tpl$,
            p_for.pair,
            false
        ),
        'Resolves the conflict on one field: keep_local drops the conflict entry and the field stays (or becomes '
        'again) overridden, so the next sync keeps the local value; '
        'take_global reverts the field (as revert_project_asset_fields). Errors: 22004 NULL, 22023 an unknown keyword '
        'or field or a field with no conflict entry, P0002 unknown or not visible, 55000 not linked.'
    );
end;
$gen$;

comment on function assetsync.generate_resolve_sync_conflict(assetsync.generator_input) is
'Generator of public.resolve_sync_conflict(); called by asset_sync_refresh().';
