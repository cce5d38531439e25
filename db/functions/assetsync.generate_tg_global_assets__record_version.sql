-- Generates the trigger function that stores each new version of a global asset in
-- global_asset_versions: the snapshot and the changed field names, built from NEW and OLD directly.

create or replace function assetsync.generate_tg_global_assets__record_version(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_snapshot text;
    v_null_fields text;
    v_changed text;
begin
    select s.snapshot, s.null_fields into v_snapshot, v_null_fields from assetsync.sql_snapshot(p_for.fields, 'new') as s;

    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '            case when %s then %L end',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.name), pg_catalog.format('old.%I', u.name), u.comparison),
                u.name
            ),
            E',\n' order by u.n
        )
    into v_changed
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_global_assets__record_version',
        p_for.fields,
        'assetsync.tg_global_assets__record_version',
        '',
        '',
        'trigger',
        '{volatile}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT or AFTER UPDATE ... FOR EACH ROW trigger on {library}.';
    end if;
    if tg_op = 'INSERT' then
        insert into {versions} (global_asset_id, version, snapshot, changed_fields, null_fields)
        values (new.{library_key}, new.version, %1$s, %2$L::text[], %4$s);
    else
        insert into {versions} (global_asset_id, version, snapshot, changed_fields, null_fields)
        values (
            new.{library_key},
            new.version,
            %1$s,
            pg_catalog.array_remove(array[
%3$s
            ]::text[], null),
            %4$s
        );
    end if;
    return null;
end;
$tpl$, p_for.pair),
            v_snapshot,
            (select coalesce(pg_catalog.array_agg(f.name), '{}') from unnest(p_for.fields) as f),
            coalesce(v_changed, '            null'),
            v_null_fields
        ),
        'Trigger function of global_assets_500_record_version_on_insert/_on_update (AFTER, per row): stores '
        'the snapshot and changed fields of each new version in global_asset_versions. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_global_assets__record_version(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_global_assets__record_version(); called by '
'asset_sync_refresh().';
