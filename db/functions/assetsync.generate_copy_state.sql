-- Generates assetsync.copy_state(): the sync state of one copy as jsonb, what the journal compares and
-- records: {"values": {field: value, a field that is SQL NULL left out}, "overridden": [...],
-- "conflicts": {...}, "global_version": n, "global_asset_id": id}.

create or replace function assetsync.generate_copy_state(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_copy_state',
        p_for.fields,
        'assetsync.copy_state',
        assetsync.sql_render('p_row {copies}', p_for.pair),
        assetsync.sql_render('{copies}', p_for.pair),
        'jsonb',
        '{stable}',
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    return pg_catalog.jsonb_build_object(
        'values', '{}'::jsonb%1$s,
        'overridden', pg_catalog.to_jsonb(coalesce(p_row.overridden_fields, '{}')),
        'conflicts', coalesce(p_row.sync_conflicts, '{}'),
        'global_version', p_row.global_version,
        'global_asset_id', p_row.{link}
    );
end;
$tpl$, p_for.pair),
            (
                select pg_catalog.string_agg(
                    pg_catalog.format(
                        E'\n            || case when p_row.%1$I is null then ''{}''::jsonb '
                        || 'else pg_catalog.jsonb_build_object(%1$L, p_row.%1$I) end',
                        u.name
                    ),
                    '' order by u.n
                )
                from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
            )
        ),
        'The sync state of one copy as jsonb (values, a field that is SQL NULL left out; overridden; conflicts; '
        'global_version; global_asset_id): what the journal compares and records. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_copy_state(assetsync.generator_input) is
'Generator of assetsync.copy_state(); called by asset_sync_refresh().';
