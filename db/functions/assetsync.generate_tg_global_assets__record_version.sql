-- Generates the trigger function that stores each new version of a global asset in
-- global_asset_versions: the snapshot and the changed field names, built from NEW and OLD directly.

create or replace function assetsync.generate_tg_global_assets__record_version(
    p_fields assetsync.synced_field[]
)
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_snapshot text;
    v_changed text;
begin
    -- jsonb_build_object takes at most 100 arguments: build the snapshot in chunks of 40 fields.
    select coalesce(pg_catalog.string_agg(c.part, E'\n            || ' order by c.chunk), '''{}''::jsonb')
    into v_snapshot
    from (
        select
            (u.n - 1) / 40 as chunk,
            pg_catalog.format(
                'pg_catalog.jsonb_build_object(%s)',
                pg_catalog.string_agg(pg_catalog.format('%L, new.%I', u.name, u.name), ', ' order by u.n)
            ) as part
        from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n)
        group by (u.n - 1) / 40
    ) as c;

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
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_global_assets__record_version',
        p_fields,
        'assetsync.tg_global_assets__record_version',
        '',
        '',
        'trigger',
        '{volatile}',
        pg_catalog.format(
            $tpl$
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT or AFTER UPDATE ... FOR EACH ROW trigger on public.global_assets.';
    end if;
    if tg_op = 'INSERT' then
        insert into public.global_asset_versions (global_asset_id, version, snapshot, changed_fields)
        values (new.id, new.version, %1$s, %2$L::text[]);
    else
        insert into public.global_asset_versions (global_asset_id, version, snapshot, changed_fields)
        values (
            new.id,
            new.version,
            %1$s,
            pg_catalog.array_remove(array[
%3$s
            ]::text[], null)
        );
    end if;
    return null;
end;
$tpl$,
            v_snapshot,
            (select coalesce(pg_catalog.array_agg(f.name), '{}') from unnest(p_fields) as f),
            coalesce(v_changed, '            null')
        ),
        'Trigger function of global_assets_500_record_version_on_insert/_on_update (AFTER, per row): stores '
        'the snapshot and changed fields of each new version in global_asset_versions. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_global_assets__record_version(assetsync.synced_field[]) is
'Generator of the trigger function assetsync.tg_global_assets__record_version(); called by '
'asset_sync_refresh().';
