-- The synced fields, read from the catalogue: the columns that public.global_assets and
-- public.project_assets share (same name, same type), minus the bookkeeping columns, in the column
-- order of project_assets, each with what the generators need to know of it. Only asset_sync_refresh()
-- calls it; everything else uses the list it baked into assetsync.synced_fields().

create or replace function assetsync.synced_field_catalog(p_pair assetsync.attachment, p_warn boolean default false)
returns setof assetsync.synced_field
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_col record;
    v_base_type oid;
    v_base_typmod integer;
begin
    for v_col in
        select
            pa.attname::text as name,
            pa.atttypid as project_type,
            pa.atttypmod as project_typmod,
            ga.atttypid as global_type,
            ga.atttypmod as global_typmod,
            pa.attgenerated <> '' or ga.attgenerated <> '' as is_generated
        from pg_catalog.pg_attribute as pa
        inner join pg_catalog.pg_attribute as ga
            on ga.attrelid = p_pair.library and ga.attname = pa.attname
        where
            pa.attrelid = p_pair.copies
            and pa.attnum > 0 and not pa.attisdropped
            and ga.attnum > 0 and not ga.attisdropped
            and pa.attname <> all(
                array[
                    'id', 'owner_id', 'user_id', 'project_id', 'global_asset_id', 'version', 'global_version',
                    'last_synced_at', 'overridden_fields', 'sync_conflicts', 'created_at', 'updated_at',
                    p_pair.library_key, p_pair.copies_key, p_pair.link_column, p_pair.project_column
                ]::name[]
                || p_pair.excluded_columns::name[]
            )
        order by pa.attnum
    loop
        if v_col.project_type <> v_col.global_type or v_col.project_typmod <> v_col.global_typmod then
            if p_warn then
                raise warning using
                    message = pg_catalog.format('column %I is not a synced field: its types differ', v_col.name),
                    detail = pg_catalog.format(
                        'project_assets.%I is %s, global_assets.%I is %s.',
                        v_col.name, pg_catalog.format_type(v_col.project_type, v_col.project_typmod),
                        v_col.name, pg_catalog.format_type(v_col.global_type, v_col.global_typmod)
                    ),
                    hint = 'Give both columns the same type, then call asset_sync_refresh().';
            end if;
            continue;
        end if;
        if v_col.is_generated then
            if p_warn then
                raise warning using
                    message = pg_catalog.format('column %I is not a synced field: it is generated', v_col.name),
                    hint = 'A generated column cannot be written by a sync.';
            end if;
            continue;
        end if;
        -- The type under its domains, with the typmod of the innermost domain that sets one.
        v_base_type := v_col.project_type;
        v_base_typmod := v_col.project_typmod;
        while (select t.typtype = 'd' from pg_catalog.pg_type as t where t.oid = v_base_type) loop
            select t.typbasetype, case when v_base_typmod >= 0 then v_base_typmod else t.typtypmod end
            into v_base_type, v_base_typmod
            from pg_catalog.pg_type as t
            where t.oid = v_base_type;
        end loop;
        return next row(
            v_col.name,
            assetsync.comparison_mode(v_col.project_type),
            pg_catalog.format_type(v_col.project_type, v_col.project_typmod),
            pg_catalog.format_type(v_base_type, v_base_typmod),
            coalesce(
                (select s.merge from assetsync.synced_field_settings as s where s.field = v_col.name),
                'whole'
            )
        )::assetsync.synced_field;
    end loop;
end;
$fn$;

comment on function assetsync.synced_field_catalog(assetsync.attachment, boolean) is
'The synced fields as the catalogue has them now (shared columns of the attached library and copies with '
'the same type, minus bookkeeping, excluded and generated columns), in project_assets column order, as '
'assetsync.synced_field values (name, comparison, type, base type, merge mode from '
'assetsync.synced_field_settings, whole when unset). With p_warn, raises a WARNING for each '
'same-name column that is not synced and why. Used by asset_sync_refresh().';
