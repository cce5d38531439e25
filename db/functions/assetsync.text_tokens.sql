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
    -- Split at every boundary between a whitespace and a non-whitespace character (zero-length matches of
    -- lookarounds): about three times as fast as collecting regexp_matches() into an array.
    select case
        when coalesce(p_text, '') = '' then '{}'::text[]
        else pg_catalog.regexp_split_to_array(
            p_text,
            '(?<=[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])'
            || '(?=[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])'
            || '|(?<=[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])'
            || '(?=[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])'
        )
    end
$fn$;

comment on function assetsync.text_tokens(text) is
'The tokens of a text for text_diff() and assetsync.text_merge(): maximal runs of non-whitespace and of '
'Unicode White_Space characters, in order; NULL and the empty text give {}.';
