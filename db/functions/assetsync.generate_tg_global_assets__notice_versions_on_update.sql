-- Generates the trigger function that queues the live notices of the library rows whose version an UPDATE moved:
-- one assetsync.notice_queue row per statement, read from the statement's transition table(s), so that a
-- bulk UPDATE of the library queues one row, not one per version (a per-row insert cost a bulk UPDATE +21 %).

create or replace function assetsync.generate_tg_global_assets__notice_versions_on_update(
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
        'assetsync.generate_tg_global_assets__notice_versions_on_update',
        p_for.fields,
        'assetsync.tg_global_assets__notice_versions_on_update',
        '',
        '',
        'trigger',
        '{volatile}',
        assetsync.sql_render($tpl$
declare
    v_rows bigint;
    v_moved bigint;
begin
    if tg_when <> 'AFTER' or tg_level <> 'STATEMENT' or tg_op <> 'UPDATE' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be an AFTER UPDATE ... REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                'FOR EACH STATEMENT trigger on {library}.';
    end if;
    -- The versioning trigger moves a row's version by 0 or 1 (a client cannot write it), so the sums say
    -- whether no row, every row, or some rows got a new version: only the last needs the rows matched.
    select pg_catalog.count(*), pg_catalog.sum(n.version) into v_rows, v_moved from new_rows as n;
    v_moved := v_moved - (select pg_catalog.sum(o.version) from old_rows as o);
    if v_rows = 0 or v_moved = 0 then
        return null;
    end if;
    -- The live notices of the versions, sent at commit (assetsync.notice_queue): [keys, versions].
    if v_moved = v_rows then
        insert into assetsync.notice_queue (event, entries, flush)
        select
            'global_version',
            pg_catalog.jsonb_build_array(pg_catalog.array_agg(n.{library_key}), pg_catalog.array_agg(n.version)),
            assetsync.notice_first()
        from new_rows as n;
    else
        insert into assetsync.notice_queue (event, entries, flush)
        select
            'global_version',
            pg_catalog.jsonb_build_array(pg_catalog.array_agg(n.{library_key}), pg_catalog.array_agg(n.version)),
            assetsync.notice_first()
        from new_rows as n
        -- A row whose version moved (the key of a library row cannot change: its history references it).
        where not exists (
            select from old_rows as o where o.{library_key} = n.{library_key} and o.version = n.version
        );
    end if;
    return null;
end;
$tpl$, p_for.pair),
        'Trigger function of <library>_600_notice_versions_on_update (AFTER UPDATE, per statement): queues one '
        'live notice row for the library rows whose version an UPDATE moved. Generated.'
    );
end;
$fn$;

comment on function assetsync.generate_tg_global_assets__notice_versions_on_update(assetsync.generator_input) is
'Generator of the trigger function assetsync.tg_global_assets__notice_versions_on_update(); called by '
'asset_sync_refresh().';
