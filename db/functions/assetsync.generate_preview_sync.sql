-- Generates assetsync.preview_sync(): the one read-only computation behind both previews. It runs the very
-- SELECT of the sync (assetsync.sql_pull_select_from) against the global row it is given (the current one,
-- or the current one with a change applied) instead of the library table, and turns the sync's field lists
-- into one row per field whose global value differs from the local one: update, merge, conflict or keep.
-- A plain SELECT: no write, no row lock, no notice.

create or replace function assetsync.generate_preview_sync(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
declare
    v_fields text;
begin
    select pg_catalog.string_agg(
        pg_catalog.format(
            E'(%s, %L, %s,\n                pg_catalog.to_jsonb((s.old_row).%I), pg_catalog.to_jsonb(g.%I), pg_catalog.to_jsonb(%s))',
            u.n,
            u.name,
            assetsync.sql_is_distinct(pg_catalog.format('(s.old_row).%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
            u.name,
            u.name,
            assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot')
        ),
        E',\n            ' order by u.n
    )
    into v_fields
    from unnest(p_for.fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    return assetsync.generated_function_ddl(
        'assetsync.generate_preview_sync',
        p_for.fields,
        'assetsync.preview_sync',
        assetsync.sql_render('p_global {library}', p_for.pair, false),
        assetsync.sql_render('{library}', p_for.pair, false),
        assetsync.sql_render(
            'table (project_asset_id {copies_key_type}, project_id {projects_key_type}, field text, outcome text, '
            'local_value jsonb, global_value jsonb, base_value jsonb)',
            p_for.pair,
            false
        ),
        array['stable'],
        pg_catalog.format(
            assetsync.sql_render($tpl$
begin
    return query
    with s as (
        %1$s
    )
    select
        s.id,
        (s.old_row).{project},
        f.field,
        case
            when f.field = any(s.merged_fields) then 'merge'
            when f.field = any(s.conflict_fields) then 'conflict'
            when f.field = any((s.old_row).overridden_fields) then 'keep'
            else 'update'
        end,
        f.local_value,
        f.global_value,
        f.base_value
    from s
    cross join (select (p_global).*) as g
    cross join lateral (
        select (
            select v.snapshot
            from {versions} as v
            where v.global_asset_id = (s.old_row).{link} and v.version = (s.old_row).global_version
        ) as snapshot
        offset 0
    ) as bs
    cross join lateral pg_catalog.jsonb_to_record(bs.snapshot) as b (%2$s)
    cross join lateral (
        values
            %3$s
    ) as f (n, field, differs, local_value, global_value, base_value)
    where f.differs
    order by 2, 1, f.n;
end;
$tpl$, p_for.pair),
            assetsync.sql_pull_select_from(
                p_for.fields, p_for.pair, 'pa.{link} = (p_global).{library_key}', '(select (p_global).*)'
            ),
            assetsync.sql_base_columns(p_for.fields),
            v_fields
        ),
        'What a sync of every linked copy the caller may see would do if the global were p_global: one row per '
        'synced field whose global value differs from the local one (update, merge, conflict, keep), computed by '
        'the sync''s own SELECT; ordered by project, copy and column. Writes and locks nothing. Generated.'
    );
end;
$gen$;

comment on function assetsync.generate_preview_sync(assetsync.generator_input) is
'Generator of assetsync.preview_sync(), the computation behind preview_sync_global_asset() and '
'preview_global_asset_change(); called by asset_sync_refresh().';
