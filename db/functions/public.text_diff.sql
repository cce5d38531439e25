-- The word-level diff a UI renders directly (strike the deleted, highlight the inserted): segments over
-- the tokens of assetsync.text_tokens(), from the minimal edit script of assetsync.token_diff().

create or replace function public.text_diff(p_old text, p_new text)
returns jsonb
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_a text[] := assetsync.text_tokens(p_old);
    v_b text[] := assetsync.text_tokens(p_new);
    v_hunks record;
    v_ops text[] := '{}'::text[];
    v_texts text[] := '{}'::text[];
    v_at integer := 0;
begin
    v_hunks := assetsync.token_diff(v_a, v_b);
    for v_i in 1..coalesce(pg_catalog.cardinality(v_hunks.a_from), 0) loop
        if v_hunks.a_from[v_i] > v_at then
            v_ops := v_ops || 'equal'::text;
            v_texts := v_texts || pg_catalog.array_to_string(v_a[v_at + 1:v_hunks.a_from[v_i]], '');
        end if;
        if v_hunks.a_to[v_i] > v_hunks.a_from[v_i] then
            v_ops := v_ops || 'delete'::text;
            v_texts := v_texts || pg_catalog.array_to_string(v_a[v_hunks.a_from[v_i] + 1:v_hunks.a_to[v_i]], '');
        end if;
        if v_hunks.b_to[v_i] > v_hunks.b_from[v_i] then
            v_ops := v_ops || 'insert'::text;
            v_texts := v_texts || pg_catalog.array_to_string(v_b[v_hunks.b_from[v_i] + 1:v_hunks.b_to[v_i]], '');
        end if;
        v_at := v_hunks.a_to[v_i];
    end loop;
    if coalesce(pg_catalog.cardinality(v_a), 0) > v_at then
        v_ops := v_ops || 'equal'::text;
        v_texts := v_texts || pg_catalog.array_to_string(v_a[v_at + 1:], '');
    end if;
    return coalesce(
        (
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('op', s.op, 'text', s.txt) order by s.n)
            from unnest(v_ops, v_texts) with ordinality as s (op, txt, n)
        ),
        '[]'::jsonb
    );
end;
$fn$;

comment on function public.text_diff(text, text) is
'Word-level diff of two texts: a jsonb array of {"op": "equal"|"delete"|"insert", "text": ...} segments over '
'tokens (maximal runs of non-whitespace or of Unicode whitespace), minimal in tokens, no empty segment, '
'adjacent segments of one op merged, at most one delete then at most one insert between two equal segments. '
'The equal and delete texts concatenate to p_old, the equal and insert texts to p_new; NULL counts as the '
'empty text, two empty texts give []. Changes nothing.';
