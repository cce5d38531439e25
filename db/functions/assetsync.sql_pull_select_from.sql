-- Generates the SELECT that computes, for each project asset it finds, everything a sync writes and
-- reports: the new value of each synced field (new_<field>), the updated/kept/conflict/merged field lists
-- in column order, and the new sync_conflicts. A field in text mode (assetsync.synced_field.merge) gets a
-- lateral assetsync.text_merge() where the sync would otherwise record a conflict: a clean merge is taken
-- (and listed in merged_fields), an overlap is recorded as a conflict with its hunks. Whole-mode fields
-- get none of it. Shared by the generated pull functions through
-- assetsync.sql_pull_update() (through assetsync.sql_pull_select(), which reads the library table) and by
-- the previews (assetsync.generate_preview_sync, which give it the global as it would be: p_library is the
-- FROM item aliased g, the library table or an expression). Plain per-field CASE expressions, no per-row
-- aggregation; the base snapshot is read and typed only for rows that override something.

create or replace function assetsync.sql_pull_select_from(
    p_fields assetsync.synced_field[], p_pair assetsync.attachment, p_where text, p_library text
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_has_json boolean;
    v_snapshot text;
    v_base text;
    v_new_values text;
    v_updated text;
    v_kept text;
    v_conflicts text;
    v_dropped text;
    v_written text;
    v_merges text;
    v_merged text;
begin
    -- Where the base snapshot is read from: a json field reads it again with ->, so it gets a name.
    v_has_json := exists (select from unnest(p_fields) as f where f.base_type in ('json', 'jsonb'));
    v_snapshot := assetsync.sql_render($sql$case when pa.overridden_fields <> '{}' then (
                select v.snapshot
                from {versions} as v
                where v.global_asset_id = pa.{link} and v.version = pa.global_version
            ) end$sql$, p_pair, false);
    if v_has_json then
        v_base := pg_catalog.format(
            E'cross join lateral (\n'
            || E'            select %s as snapshot\n'
            || E'            offset 0\n'
            || E'        ) as bs\n'
            || E'        cross join lateral pg_catalog.jsonb_to_record(bs.snapshot) as b (%s)',
            v_snapshot,
            assetsync.sql_base_columns(p_fields)
        );
    else
        v_base := pg_catalog.format(
            E'cross join lateral pg_catalog.jsonb_to_record(\n            %s\n        ) as b (%s)',
            v_snapshot,
            assetsync.sql_base_columns(p_fields)
        );
    end if;

    select
        pg_catalog.string_agg(
            pg_catalog.format(
                E'            case %swhen %L = any(pa.overridden_fields)\n'
                || E'                then pa.%I else g.%I end as %I,',
                case when u.merge = 'text' then pg_catalog.format(
                    E'when (tm%s.m ->> ''merged'') is not null then tm%s.m ->> ''merged''\n                ', u.n, u.n
                ) else '' end,
                u.name, u.name, u.name, 'new_' || u.name
            ),
            E'\n' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'case when not (%L = any(pa.overridden_fields))\n'
                || E'                    and %s%s then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                case when u.merge = 'text' then pg_catalog.format(
                    E'\n                    or (tm%s.m ->> ''merged'') is not null and tm%s.m ->> ''merged'' is distinct from pa.%I::text',
                    u.n, u.n, u.name
                ) else '' end,
                u.name
            ),
            E',\n                ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format('case when %L = any(pa.overridden_fields) then %L end', u.name, u.name),
            E',\n                ' order by u.n
        ),
        -- A conflict: overridden, the global changed since base, and the global differs from local.
        pg_catalog.string_agg(
            pg_catalog.format(
                E'case when %L = any(pa.overridden_fields)\n'
                || E'                        and %s\n'
                || E'                        and %s%s then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot'), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                case when u.merge = 'text' then pg_catalog.format(
                    E'\n                        and (tm%s.m ->> ''merged'') is null', u.n
                ) else '' end,
                u.name
            ),
            E',\n                    ' order by u.n
        ),
        -- An entry is dropped when the field is not overridden or its local value equals the global's.
        pg_catalog.string_agg(
            pg_catalog.format(
                E'case when not (%L = any(pa.overridden_fields))\n'
                || E'                        or not (%s)%s then %L end',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                case when u.merge = 'text' then pg_catalog.format(
                    E'\n                        or (tm%s.m ->> ''merged'') is not null', u.n
                ) else '' end,
                u.name
            ),
            E',\n                    ' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'coalesce(case when %L = any(pa.overridden_fields)\n'
                || E'                    and %s\n'
                || E'                    and %s%s then pg_catalog.jsonb_build_object(\n'
                || E'                    %L, pg_catalog.jsonb_build_object(\n'
                || E'                        ''base'', pg_catalog.to_jsonb(%s),\n'
                || E'                        ''local'', pg_catalog.to_jsonb(pa.%I),\n'
                || E'                        ''global'', pg_catalog.to_jsonb(g.%I),\n'
                || E'                        ''global_version'', g.version,\n'
                || E'                        ''detected_at'', pg_catalog.now()%s\n'
                || E'                    )\n'
                || E'                ) end, ''{}'')',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot'), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                case when u.merge = 'text' then pg_catalog.format(
                    E'\n                    and (tm%s.m ->> ''merged'') is null', u.n
                ) else '' end,
                u.name,
                assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot'),
                u.name,
                u.name,
                case when u.merge = 'text' then pg_catalog.format(
                    E',\n                        ''hunks'', tm%s.m -> ''hunks''', u.n
                ) else '' end
            ),
            E'\n                || ' order by u.n
        )
    into v_new_values, v_updated, v_kept, v_conflicts, v_dropped, v_written
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n);

    -- Fields in text mode: the word-level merge, computed once per row and only where the sync would
    -- otherwise record a conflict (overridden, the global changed since base and differs from local).
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                E'\n        cross join lateral (\n'
                || E'            select case when %L = any(pa.overridden_fields)\n'
                || E'                    and %s\n'
                || E'                    and %s\n'
                || E'                then assetsync.text_merge(%s::text, pa.%I::text, g.%I::text) end as m\n'
                || E'            offset 0\n'
                || E'        ) as tm%s',
                u.name,
                assetsync.sql_is_distinct(pg_catalog.format('g.%I', u.name), assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot'), u.comparison),
                assetsync.sql_is_distinct(pg_catalog.format('pa.%I', u.name), pg_catalog.format('g.%I', u.name), u.comparison),
                assetsync.sql_base_value(u.name, u.base_type, 'bs.snapshot'),
                u.name,
                u.name,
                u.n
            ),
            '' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format('case when (tm%s.m ->> ''merged'') is not null then %L end', u.n, u.name),
            E',\n                ' order by u.n
        )
    into v_merges, v_merged
    from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
    where u.merge = 'text';

    return pg_catalog.format(
        assetsync.sql_render($tpl$select
            pa.{copies_key} as id,
            pa.{link} as global_asset_id,
            pa.global_version as from_version,
            g.version as to_version,
            pa.sync_conflicts as old_sync_conflicts,
            pa as old_row,
%1$s            pg_catalog.array_remove(array[
                %2$s
            ]::text[], null) as updated_fields,
            pg_catalog.array_remove(array[
                %3$s
            ]::text[], null) as kept_fields,
            %9$s as merged_fields,
            case when pa.overridden_fields = '{}' then '{}'::text[] else pg_catalog.array_remove(array[
                    %4$s
                ]::text[], null)
            end as conflict_fields,
            case when pa.overridden_fields = '{}' then '{}'::jsonb else
                (pa.sync_conflicts - pg_catalog.array_remove(array[
                    %5$s
                ]::text[], null))
                || %6$s
            end as sync_conflicts
        from {copies} as pa
        inner join %11$s as g on pa.{link} = g.{library_key}
        -- The base (the snapshot at global_version, typed), looked up by primary key and only where a field
        -- is overridden; a function scan, so the planner keeps it a per-row lookup in any plan.
        %7$s%10$s
        where %8$s$tpl$, p_pair),
        coalesce(v_new_values || E'\n', ''),
        coalesce(v_updated, 'null'),
        coalesce(v_kept, 'null'),
        coalesce(v_conflicts, 'null'),
        coalesce(v_dropped, 'null'),
        coalesce(v_written, '''{}''::jsonb'),
        v_base,
        assetsync.sql_render(p_where, p_pair, false),
        coalesce(
            E'pg_catalog.array_remove(array[\n                ' || v_merged || E'\n            ]::text[], null)',
            '''{}''::text[]'
        ),
        coalesce(v_merges, ''),
        assetsync.sql_render(p_library, p_pair, false)
    );
end;
$fn$;

comment on function assetsync.sql_pull_select_from(assetsync.synced_field[], assetsync.attachment, text, text) is
'Code generation helper: the SELECT computing a sync''s new values (new_<field>), field lists and '
'sync_conflicts for the project assets matching p_where, against the global rows of the FROM item p_library '
'(aliased g); used by assetsync.sql_pull_select() (the library table) and the previews.';
