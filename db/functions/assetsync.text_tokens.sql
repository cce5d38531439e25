-- The tokens of a text for the word-level diff and merge: each maximal run of non-whitespace characters
-- (a word, punctuation included) and each maximal run of whitespace is one token, whitespace being Unicode
-- White_Space (listed here rather than [[:space:]], which follows the database's locale).

create or replace function assetsync.text_tokens(p_text text)
returns text[]
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
    select coalesce(pg_catalog.array_agg(m.t[1] order by m.n), '{}')
    from pg_catalog.regexp_matches(
        coalesce(p_text, ''),
        '([\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+'
        || '|[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)',
        'g'
    ) with ordinality as m (t, n)
$fn$;

comment on function assetsync.text_tokens(text) is
'The tokens of a text for text_diff() and assetsync.text_merge(): maximal runs of non-whitespace and of '
'Unicode White_Space characters, in order; NULL and the empty text give {}.';
