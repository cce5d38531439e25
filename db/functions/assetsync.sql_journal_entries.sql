-- The SQL expressions of a journal row's fields, before and after, over two row expressions of the
-- copies (p_old, p_new: 'old' and 'new' in a trigger, '(u.old_row)' in the set-based sync), inlined into
-- the statement that writes the copies, so that journaling a first mark or a fan-out calls no function
-- per row. With p_names (an SQL expression of a text[]), the fields are those names (override rows);
-- without, the fields whose value, override or conflict entry differ. Same shape as
-- assetsync.journal_diff(): {"value" (absent for SQL NULL), "overridden", "conflict"} per field.

create or replace function assetsync.sql_journal_entries(
    p_fields assetsync.synced_field[], p_old text, p_new text, p_names text default null
)
returns table (fields text, before text, after text)
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    select
        coalesce(
            'pg_catalog.array_remove(array['
            || pg_catalog.string_agg(pg_catalog.format('case when %s then %L end', c.cond, c.name), ', ' order by c.n)
            || ']::text[], null)',
            '''{}''::text[]'
        ),
        coalesce(pg_catalog.string_agg(
            pg_catalog.format('case when %s then %s else ''{}''::jsonb end', c.cond, c.before_entry),
            E'\n            || ' order by c.n
        ), '''{}''::jsonb'),
        coalesce(pg_catalog.string_agg(
            pg_catalog.format('case when %s then %s else ''{}''::jsonb end', c.cond, c.after_entry),
            E'\n            || ' order by c.n
        ), '''{}''::jsonb')
    into fields, before, after
    from (
        select
            u.name,
            u.n,
            case
                when p_names is not null then pg_catalog.format('%L = any(%s)', u.name, p_names)
                else pg_catalog.format(
                    '(%s or (%s.sync_conflicts -> %L) is distinct from (%s.sync_conflicts -> %L) '
                    || 'or coalesce(%L = any(%s.overridden_fields), false) <> coalesce(%L = any(%s.overridden_fields), false))',
                    assetsync.sql_is_distinct(
                        pg_catalog.format('%s.%I', p_old, u.name), pg_catalog.format('%s.%I', p_new, u.name), u.comparison
                    ),
                    p_old, u.name, p_new, u.name, u.name, p_old, u.name, p_new
                )
            end as cond,
            assetsync.sql_journal_entry(u.name, p_old) as before_entry,
            assetsync.sql_journal_entry(u.name, p_new) as after_entry
        from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, merge, n)
    ) as c;
    return next;
end;
$fn$;

comment on function assetsync.sql_journal_entries(assetsync.synced_field[], text, text, text) is
'Code generation helper: SQL expressions of a journal row''s fields, before and after over two row '
'expressions of the copies, for the names in p_names or the fields that differ.';
