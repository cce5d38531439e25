-- Generates public.undo_project_asset_change(): puts back, for a journaled change's fields, the value,
-- override and conflict entry of its before, and global_version and global_asset_id when the change moved
-- them, as one library write journaled as undo (an undo of an undo redoes). It refuses (55000, naming the
-- field, changing nothing) when a field's current state is no longer the change's after, and when the
-- change is already undone.

create or replace function assetsync.generate_undo_project_asset_change(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_undo_project_asset_change',
        p_for.fields,
        'public.undo_project_asset_change',
        'p_change_id bigint',
        'bigint',
        'bigint',
        array['volatile', 'set "assetsync.writer" = ''library'''],
        pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_change public.project_asset_changes;
    v_row {copies};
    v_state jsonb;
    v_before jsonb;
    v_name text;
    v_link {library_key_type};
begin
    if p_change_id is null then
        raise exception using
            errcode = '22004',
            message = 'p_change_id must not be NULL',
            hint = 'Pass the id of a row of project_asset_changes.';
    end if;
    select c.* into v_change from public.project_asset_changes as c where c.id = p_change_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('change %%s does not exist or is not visible', p_change_id),
            hint = 'See project_asset_changes for the changes of the copies you can see.';
    end if;
    -- The lock order of every sync: the copy's global FOR KEY SHARE, then the copy FOR UPDATE.
    perform
    from {library} as g
    where g.{library_key} = (
        select pa.{link} from {copies} as pa where pa.{copies_key} = v_change.project_asset_id
    )
    for key share of g;
    select pa.* into v_row from {copies} as pa where pa.{copies_key} = v_change.project_asset_id for update;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format(
                'project asset %%s of change %%s does not exist or is not visible', v_change.project_asset_id, p_change_id
            );
    end if;
    if exists (select from public.project_asset_changes as u where u.undoes = p_change_id) then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('change %%s is already undone', p_change_id),
            hint = 'To undo it again after a redo, undo the redo.';
    end if;
    v_state := assetsync.copy_state(v_row);
    foreach v_name in array v_change.fields loop
        if not (v_name = any(assetsync.synced_fields())) then
            raise exception using
                errcode = '55000',
                message = pg_catalog.format(
                    'change %%s cannot be undone: %%s is no longer a synced field', p_change_id, v_name
                );
        end if;
        if assetsync.journal_field(v_state, v_name) is distinct from v_change.after -> v_name then
            raise exception using
                errcode = '55000',
                message = pg_catalog.format(
                    'change %%s cannot be undone: field %%s of project asset %%s changed since',
                    p_change_id, v_name, v_change.project_asset_id
                ),
                detail = pg_catalog.format(
                    'It is %%s now; the change left it %%s.',
                    assetsync.journal_field(v_state, v_name), v_change.after -> v_name
                ),
                hint = 'Undo the later changes first, newest first.';
        end if;
    end loop;
    foreach v_name in array array['global_version', 'global_asset_id'] loop
        if v_change.after ? v_name and (v_state -> v_name) is distinct from (v_change.after -> v_name) then
            raise exception using
                errcode = '55000',
                message = pg_catalog.format(
                    'change %%s cannot be undone: %%s of project asset %%s changed since',
                    p_change_id, v_name, v_change.project_asset_id
                ),
                hint = 'Undo the later changes first, newest first.';
        end if;
    end loop;
    v_before := v_change.before;
    if v_before ? 'global_asset_id' and pg_catalog.jsonb_typeof(v_before -> 'global_asset_id') <> 'null' then
        select r.x into v_link
        from pg_catalog.jsonb_to_record(pg_catalog.jsonb_build_object('x', v_before -> 'global_asset_id'))
            as r (x {library_key_type});
        perform from {library} as g where g.{library_key} = v_link for key share;
        if not found then
            raise exception using
                errcode = '55000',
                message = pg_catalog.format(
                    'change %%s cannot be undone: global asset %%s does not exist or is not visible',
                    p_change_id, v_link
                ),
                hint = 'Undoing an unlink links the copy again, to a global asset of your own library.';
        end if;
    end if;
    update {copies} as pa
    set
%1$s        overridden_fields = array(
            select s.name
            from unnest(assetsync.synced_fields()) with ordinality as s (name, n)
            where
                case
                    when s.name = any(v_change.fields) then (v_before -> s.name ->> 'overridden')::boolean
                    else s.name = any(pa.overridden_fields)
                end
            order by s.n
        ),
        sync_conflicts = (coalesce(pa.sync_conflicts, '{}') - v_change.fields) || coalesce(
            (
                select pg_catalog.jsonb_object_agg(f.name, v_before -> f.name -> 'conflict')
                from unnest(v_change.fields) as f (name)
                where pg_catalog.jsonb_typeof(v_before -> f.name -> 'conflict') = 'object'
            ),
            '{}'
        ),
        global_version = case
            when v_before ? 'global_version' then (v_before ->> 'global_version')::integer
            else pa.global_version
        end,
        {link} = case when v_before ? 'global_asset_id' then v_link else pa.{link} end
    where pa.{copies_key} = v_change.project_asset_id;
    return assetsync.journal(
        'undo',
        v_change.project_asset_id,
        v_state,
        assetsync.copy_state((select pa from {copies} as pa where pa.{copies_key} = v_change.project_asset_id)),
        v_change.fields,
        p_change_id
    );
end;
$tpl$, p_for.pair),
            (
                select pg_catalog.string_agg(
                    pg_catalog.format(
                        E'        %1$I = case when %2$L = any(v_change.fields) then %3$s else pa.%1$I end,\n',
                        u.name,
                        u.name,
                        case
                            when u.base_type in ('json', 'jsonb') then
                                pg_catalog.format('(v_before -> %L -> ''value'')::%s', u.name, u.sql_type)
                            else pg_catalog.format(
                                '(select r.%1$I from pg_catalog.jsonb_to_record(pg_catalog.jsonb_build_object('
                                || '%2$L, v_before -> %2$L -> ''value'')) as r (%1$I %3$s))',
                                u.name, u.name, u.base_type
                            )
                        end
                    ),
                    '' order by u.n
                )
                from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
            )
        ),
        'Undoes a journaled change of a copy: puts back, for its fields, the value, override and conflict entry it '
        'had before, and global_version and global_asset_id when the change moved them; journaled as undo (its '
        'id is returned). Errors: 22004 NULL, P0002 unknown or not visible, 55000 when a field changed since, '
        'when the change is already undone, or when undoing an unlink would link to a global that is gone.'
    );
end;
$fn$;

comment on function assetsync.generate_undo_project_asset_change(assetsync.generator_input) is
'Generator of public.undo_project_asset_change(); called by asset_sync_refresh().';
