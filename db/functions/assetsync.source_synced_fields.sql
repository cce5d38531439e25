-- Generates the body of assetsync.synced_fields(): the synced field list as a constant, so that no
-- row-level code ever reads the catalogue.

create or replace function assetsync.source_synced_fields(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    -- p_modes is unused here; every source_* generator takes the same arguments.
    perform p_modes;
    return pg_catalog.format(E'\nbegin\n    return %L::text[];\nend;\n', p_fields);
end;
$fn$;

comment on function assetsync.source_synced_fields(text[], text[]) is
'Code generator for assetsync.synced_fields(); called by asset_sync_refresh().';
