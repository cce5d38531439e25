-- Generates assetsync.synced_fields(): the synced field names baked into a constant, so the functions
-- that validate field names never read the catalogue.

create or replace function assetsync.generate_synced_fields(p_fields assetsync.synced_field[])
returns assetsync.generated_function
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_synced_fields',
        p_fields,
        'assetsync.synced_fields',
        '',
        '',
        'text[]',
        '{stable}',
        pg_catalog.format(
            E'begin\n    return %L::text[];\nend;\n',
            (select coalesce(pg_catalog.array_agg(f.name), '{}') from unnest(p_fields) as f)
        ),
        'The synced fields, in project_assets column order, as of the last asset_sync_refresh(). Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_synced_fields(assetsync.synced_field[]) is
'Generator of assetsync.synced_fields(); called by asset_sync_refresh().';
