-- Generates assetsync.apply_snapshot(): restore a global asset's synced fields from a version snapshot.
-- Fields missing from the snapshot keep their value, except the json fields the version names as SQL
-- NULL; the versioning trigger makes the new version, and no UPDATE happens at all when nothing would
-- change. The snapshot is read with each field's base type (a NOT NULL domain of a column the snapshot
-- lacks must not fail), and json fields with -> (a JSON null stays a JSON null).

create or replace function assetsync.generate_apply_snapshot(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_set text;
    v_changed text;
    v_values text;
begin
    select
        pg_catalog.string_agg(pg_catalog.format('%I = s.%I', u.name, 'new_' || u.name), E',\n        ' order by u.n),
        pg_catalog.string_agg(
            assetsync.sql_is_distinct(pg_catalog.format('s.%I', 'new_' || u.name), pg_catalog.format('g.%I', u.name), u.comparison),
            E'\n            or ' order by u.n
        ),
        pg_catalog.string_agg(
            case
                when u.base_type in ('json', 'jsonb') then pg_catalog.format(
                    E'case\n'
                    || E'                when v.snapshot ? %1$L then (v.snapshot -> %1$L)::%2$s\n'
                    || E'                when %1$L = any(v.null_fields) then null\n'
                    || E'                else g.%1$I\n'
                    || E'            end as %3$I',
                    u.name, u.sql_type, 'new_' || u.name
                )
                else pg_catalog.format(
                    'case when v.snapshot ? %1$L then b.%1$I else g.%1$I end as %2$I', u.name, 'new_' || u.name
                )
            end,
            E',\n            ' order by u.n
        )
    into v_set, v_changed, v_values
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_apply_snapshot',
        p_for.fields,
        'assetsync.apply_snapshot',
        assetsync.sql_render('p_global_asset_id {library_key_type}, p_version integer', p_for.pair),
        assetsync.sql_render('{library_key_type}, integer', p_for.pair),
        'integer',
        '{volatile}',
        case when v_set is null then
            pg_catalog.format(assetsync.sql_render(
                E'begin\n    return (\n        select g.version\n        from {library} as g\n'
                || E'        inner join {versions} as v on v.global_asset_id = g.{library_key} and v.version = p_version\n'
                || E'        where g.{library_key} = p_global_asset_id\n    );\nend;\n',
                p_for.pair
            ))
        else pg_catalog.format(
            assetsync.sql_render($tpl$
declare
    v_version integer;
begin
    update {library} as g
    set
        %1$s
    from (
        select
            %3$s
        from {library} as g
        inner join {versions} as v on v.global_asset_id = g.{library_key} and v.version = p_version
        cross join lateral pg_catalog.jsonb_to_record(v.snapshot) as b (%4$s)
        where g.{library_key} = p_global_asset_id
    ) as s
    where
        g.{library_key} = p_global_asset_id
        and (
            %2$s
        )
    returning g.version into v_version;
    if not found then
        select g.version into v_version from {library} as g where g.{library_key} = p_global_asset_id;
    end if;
    return v_version;
end;
$tpl$, p_for.pair),
            v_set,
            v_changed,
            v_values,
            assetsync.sql_base_columns(p_for.fields)
        ) end,
        'Restores the synced fields present in the snapshot of version p_version onto a global asset, and sets the '
        'json fields it names in null_fields to SQL NULL (no UPDATE when nothing changes); returns its version '
        'afterwards. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_apply_snapshot(assetsync.generator_input) is
'Generator of assetsync.apply_snapshot(); called by asset_sync_refresh().';
