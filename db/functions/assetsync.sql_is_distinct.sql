-- Builds the SQL text "left IS DISTINCT FROM right" for the generated code, with the cast a field's
-- comparison mode needs. The operands are already-quoted SQL expressions made by the generators.

create or replace function assetsync.sql_is_distinct(p_left text, p_right text, p_compare_as text)
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_compare_as = 'jsonb' then
        return pg_catalog.format('(%s)::jsonb is distinct from (%s)::jsonb', p_left, p_right);
    elsif p_compare_as = 'to_jsonb' then
        return pg_catalog.format('pg_catalog.to_jsonb(%s) is distinct from pg_catalog.to_jsonb(%s)', p_left, p_right);
    elsif p_compare_as = 'text' then
        return pg_catalog.format('(%s)::text is distinct from (%s)::text', p_left, p_right);
    end if;
    return pg_catalog.format('%s is distinct from %s', p_left, p_right);
end;
$fn$;

comment on function assetsync.sql_is_distinct(text, text, text) is
'Code generation helper: the SQL text "p_left IS DISTINCT FROM p_right" with the cast that the field''s '
'comparison mode (see assetsync.comparison_mode) needs.';
