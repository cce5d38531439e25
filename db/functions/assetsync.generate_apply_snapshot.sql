-- Generates assetsync.apply_snapshot(): restore a global asset's synced fields from a version snapshot.
-- Fields missing from the snapshot keep their value, except the json fields the version names as SQL
-- NULL; the versioning trigger makes the new version, and no UPDATE happens at all when nothing would
-- change. The snapshot is read with each field's base type (a NOT NULL domain of a column the snapshot
-- lacks must not fail), and json fields with -> (a JSON null stays a JSON null).

create or replace function assetsync.generate_apply_snapshot(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
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
                    || E'                when p_snapshot ? %1$L then (p_snapshot -> %1$L)::%2$s\n'
                    || E'                when %1$L = any(p_null_fields) then null\n'
                    || E'                else g.%1$I\n'
                    || E'            end as %3$I',
                    u.name, u.sql_type, 'new_' || u.name
                )
                else pg_catalog.format(
                    'case when p_snapshot ? %1$L then b.%1$I else g.%1$I end as %2$I', u.name, 'new_' || u.name
                )
            end,
            E',\n            ' order by u.n
        )
    into v_set, v_changed, v_values
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_apply_snapshot',
        p_fields,
        'assetsync.apply_snapshot',
        'p_global_asset_id uuid, p_snapshot jsonb, p_null_fields text[]',
        'uuid, jsonb, text[]',
        'integer',
        '{volatile}',
        case when v_set is null then
            E'begin\n    return (select g.version from public.global_assets as g where g.id = p_global_asset_id);\nend;\n'
        else pg_catalog.format(
            $tpl$
declare
    v_version integer;
begin
    update public.global_assets as g
    set
        %1$s
    from (
        select
            %3$s
        from public.global_assets as g
        cross join lateral pg_catalog.jsonb_to_record(p_snapshot) as b (%4$s)
        where g.id = p_global_asset_id
    ) as s
    where
        g.id = p_global_asset_id
        and (
            %2$s
        )
    returning g.version into v_version;
    if not found then
        select g.version into v_version from public.global_assets as g where g.id = p_global_asset_id;
    end if;
    return v_version;
end;
$tpl$,
            v_set,
            v_changed,
            v_values,
            assetsync.sql_base_columns(p_fields)
        ) end,
        'Restores the synced fields present in a snapshot onto a global asset, and sets the json fields named in '
        'p_null_fields to SQL NULL (no UPDATE when nothing changes); returns its version afterwards. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_apply_snapshot(assetsync.synced_field[]) is
'Generator of assetsync.apply_snapshot(); called by asset_sync_refresh().';
