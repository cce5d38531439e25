-- Generates assetsync.apply_snapshot(): restore a global asset's synced fields from a
-- version snapshot. Fields missing from the snapshot keep their value; the versioning trigger makes the
-- new version, and no UPDATE happens at all when nothing would change.

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
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format('%I = case when p_snapshot ? %L then s.%I else g.%I end', u.name, u.name, u.name, u.name),
            E',\n        ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                '(p_snapshot ? %L and %s)',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('s.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison)
            ),
            E'\n            or ' order by u.n
        )
    into v_set, v_changed
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_apply_snapshot',
        p_fields,
        'assetsync.apply_snapshot',
        'p_global_asset_id uuid, p_snapshot jsonb',
        'uuid, jsonb',
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
    from pg_catalog.jsonb_populate_record(null::public.global_assets, p_snapshot) as s
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
            v_changed
        ) end,
        'Restores the synced fields present in a snapshot onto a global asset (no UPDATE when nothing changes); '
        'returns its version afterwards. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_apply_snapshot(assetsync.synced_field[]) is
'Generator of assetsync.apply_snapshot(); called by asset_sync_refresh().';
