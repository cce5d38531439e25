-- Preview of a library edit: what every copy would get if the global took these values as a new version.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_preview_global_asset_change(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_preview_global_asset_change',
        p_for.fields,
        'public.preview_global_asset_change',
        assetsync.sql_render('p_global_asset_id {library_key_type}, p_changes jsonb', p_for.pair, false),
        assetsync.sql_render('{library_key_type}, jsonb', p_for.pair, false),
        assetsync.sql_render(
            'table (project_asset_id {copies_key_type}, project_id {projects_key_type}, field text, outcome text, '
            'local_value jsonb, global_value jsonb, base_value jsonb)',
            p_for.pair,
            false
        ),
        array['stable'],
        assetsync.sql_render(
            $tpl$declare
    v_global {library};
    v_changed {library};
    v_not_null text;
begin
    if p_global_asset_id is null or p_changes is null then
        raise exception using
            errcode = '22004',
            message = 'p_global_asset_id and p_changes must not be NULL',
            hint = 'Pass the id of a global asset and a JSON object of field names and values.';
    end if;
    if pg_catalog.jsonb_typeof(p_changes) <> 'object' then
        raise exception using
            errcode = '22023',
            message = 'p_changes must be a JSON object',
            detail = 'It is a JSON ' || pg_catalog.jsonb_typeof(p_changes) || '.',
            hint = 'Pass {"field": value, ...} with synced field names.';
    end if;
    perform assetsync.checked_field_names(array(select pg_catalog.jsonb_object_keys(p_changes)));
    -- JSON null means SQL NULL: refused where the library's column is NOT NULL (a NOT NULL domain is
    -- refused by jsonb_populate_record below).
    select a.attname into v_not_null
    from pg_catalog.pg_attribute as a
    where a.attrelid = '{library}'::regclass
        and a.attnotnull
        and not a.attisdropped
        and pg_catalog.jsonb_typeof(p_changes -> a.attname::text) = 'null'
    order by a.attnum
    limit 1;
    if found then
        raise exception using
            errcode = '22023',
            message = 'field ' || v_not_null || ' of the library must not be NULL',
            detail = 'p_changes gives it JSON null, which means SQL NULL.',
            hint = 'Give the field a value.';
    end if;
    select g.* into v_global from {library} as g where g.{library_key} = p_global_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = 'global asset ' || p_global_asset_id || ' does not exist or is not visible',
            hint = 'Check the id, and that the caller owns the global asset.';
    end if;
    begin
        v_changed := pg_catalog.jsonb_populate_record(v_global, p_changes);
    exception
        when data_exception or integrity_constraint_violation then
            raise exception using
                errcode = '22023',
                message = 'p_changes holds a value that the library''s column does not take',
                detail = sqlerrm,
                hint = 'Values convert as jsonb_populate_record converts them; JSON null means SQL NULL.';
    end;
    return query select p.* from assetsync.preview_sync(v_changed) as p;
end;
$tpl$,
            p_for.pair,
            false
        ),
        'What every linked copy of the global asset that the caller may see would get if the global took the '
        'values of p_changes (field -> value, converted as jsonb_populate_record converts; JSON null is SQL NULL) '
        'as a new version: the rows of preview_sync_global_asset(). Writes, locks and sends nothing. Errors: 22004 '
        'NULL, 22023 an unknown field, a value that does not convert or a forbidden NULL, P0002 unknown or not '
        'visible.'
    );
end;
$gen$;

comment on function assetsync.generate_preview_global_asset_change(assetsync.generator_input) is
'Generator of public.preview_global_asset_change(); called by asset_sync_refresh().';
