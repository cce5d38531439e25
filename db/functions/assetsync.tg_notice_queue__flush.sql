-- At commit (deferred constraint trigger of assetsync.notice_queue, queued once per transaction by its
-- first row): turns the transaction's queued rows (one per statement and event, their entries a JSON
-- array) into NOTIFY assetsync payloads and deletes them.
-- Payloads carry ids, versions, counts and field names, never values (LISTEN ignores row-level security).
-- More than 100 globals versioned: one global_versions summary; more than 100 copies of one global with
-- conflicts or merges: one conflicts summary for it. A payload that would reach 8000 bytes gives up its
-- field names for field_count.

create or replace function assetsync.tg_notice_queue__flush()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_count bigint;
    v_payload text;
    r record;
begin
    if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op <> 'INSERT' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a deferred AFTER INSERT constraint trigger on assetsync.notice_queue.';
    end if;
    -- A global_version row holds [keys, versions], two arrays of the same length, zipped by ROWS FROM.
    -- Counted first: above 100 globals only the summary is sent, and nothing else is computed.
    select pg_catalog.count(*) into v_count
    from (
        select v.key
        from assetsync.notice_queue as q
        cross join lateral rows from (pg_catalog.jsonb_array_elements(q.entries -> 0)) as v (key)
        where q.event = 'global_version'
        group by v.key
    ) as k;
    if v_count > 100 then
        perform pg_catalog.pg_notify(
            'assetsync', pg_catalog.jsonb_build_object('event', 'global_versions', 'count', v_count)::text
        );
    elsif v_count > 0 then
        for r in
            select v.key as global_asset_id, pg_catalog.max(v.version::integer) as version
            from assetsync.notice_queue as q
            cross join lateral rows from (
                pg_catalog.jsonb_array_elements(q.entries -> 0),
                pg_catalog.jsonb_array_elements_text(q.entries -> 1)
            ) as v (key, version)
            where q.event = 'global_version'
            group by v.key
            order by v.key
        loop
            perform pg_catalog.pg_notify('assetsync', pg_catalog.jsonb_build_object(
                'event', 'global_version', 'global_asset_id', r.global_asset_id, 'version', r.version
            )::text);
        end loop;
    end if;
    -- One conflict notice per copy, or one summary per global with more than 100 such copies: the field
    -- names are put in column order (a function call) only for the notices sent per copy.
    for r in
        with entries as (
            select
                e.entry -> 0 as global_asset_id,
                e.entry -> 1 as project_asset_id,
                e.entry -> 2 as project_id,
                e.entry -> 3 as fields,
                e.entry -> 4 as merged_fields
            from assetsync.notice_queue as q
            cross join lateral pg_catalog.jsonb_array_elements(q.entries) as e (entry)
            where q.event = 'conflict'
        ),
        copies as (
            select
                x.global_asset_id,
                x.project_asset_id,
                pg_catalog.min(x.project_id::text)::jsonb as project_id,
                pg_catalog.array_agg(f.name) filter (where f.kind = 'c') as fields,
                pg_catalog.array_agg(f.name) filter (where f.kind = 'm') as merged_fields
            from entries as x
            left join lateral (
                select 'c' as kind, c.name from pg_catalog.jsonb_array_elements_text(x.fields) as c (name)
                union all
                select 'm', m.name from pg_catalog.jsonb_array_elements_text(x.merged_fields) as m (name)
            ) as f on true
            group by x.global_asset_id, x.project_asset_id
        ),
        ranked as (
            select
                c.*,
                pg_catalog.count(*) over (partition by c.global_asset_id) as copies,
                pg_catalog.row_number() over (
                    partition by c.global_asset_id order by c.project_id, c.project_asset_id
                ) as nth
            from copies as c
        )
        select k.*
        from ranked as k
        where k.copies <= 100 or k.nth = 1
        order by k.global_asset_id, k.project_id, k.project_asset_id
    loop
        if r.copies > 100 then
            v_payload := pg_catalog.jsonb_build_object(
                'event', 'conflicts', 'global_asset_id', r.global_asset_id, 'count', r.copies
            )::text;
        else
            r.fields := assetsync.checked_field_names(r.fields);
            r.merged_fields := assetsync.checked_field_names(r.merged_fields);
            v_payload := pg_catalog.jsonb_build_object(
                'event', 'conflict', 'project_asset_id', r.project_asset_id, 'project_id', r.project_id,
                'global_asset_id', r.global_asset_id, 'fields', pg_catalog.to_jsonb(coalesce(r.fields, '{}')),
                'merged_fields', pg_catalog.to_jsonb(coalesce(r.merged_fields, '{}'))
            )::text;
            if pg_catalog.octet_length(v_payload) >= 8000 then
                v_payload := pg_catalog.jsonb_build_object(
                    'event', 'conflict', 'project_asset_id', r.project_asset_id, 'project_id', r.project_id,
                    'global_asset_id', r.global_asset_id,
                    'field_count', coalesce(pg_catalog.cardinality(r.fields), 0)
                        + coalesce(pg_catalog.cardinality(r.merged_fields), 0)
                )::text;
            end if;
        end if;
        perform pg_catalog.pg_notify('assetsync', v_payload);
    end loop;
    delete from assetsync.notice_queue;
    return null;
end;
$fn$;

comment on function assetsync.tg_notice_queue__flush() is
'Deferred constraint trigger function of assetsync.notice_queue: at commit, sends the transaction''s queued '
'notices on channel assetsync (summaries above 100, payloads under 8000 bytes) and deletes the rows.';
