-- Generates the trigger function that queues the live notices of the library rows an INSERT (or COPY)
-- made, each at version 1: one assetsync.notice_queue row per statement, read from its transition table,
-- so that a bulk INSERT queues one row, not one per version (a per-row insert cost a bulk UPDATE +21 %).

create or replace function assetsync.generate_tg_global_assets__notice_versions_on_insert(
    p_for assetsync.generator_input
)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_global_assets__notice_versions_on_insert',
        p_for.fields,
        'assetsync.tg_global_assets__notice_versions_on_insert',
        '',
        '',
        'trigger',
        '{volatile}',
        assetsync.sql_render($tpl$
begin
    if tg_when <> 'AFTER' or tg_level <> 'STATEMENT' or tg_op <> 'INSERT' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be an AFTER INSERT ... REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT trigger on {library}.';
    end if;
    -- The live notices of the versions, sent at commit (assetsync.notice_queue): [keys, versions].
    insert into assetsync.notice_queue (event, entries, flush)
    select
        'global_version',
        pg_catalog.jsonb_build_array(pg_catalog.array_agg(n.{library_key}), pg_catalog.array_agg(n.version)),
        assetsync.notice_first()
    from new_rows as n
    having pg_catalog.count(*) > 0;
    return null;
end;
$tpl$, p_for.pair),
        'Trigger function of <library>_600_notice_versions_on_insert (AFTER INSERT, per statement): queues one '
        'live notice row for the library rows an INSERT (or COPY) made, each at version 1. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_global_assets__notice_versions_on_insert(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_global_assets__notice_versions_on_insert(); called by '
'asset_sync_refresh().';
