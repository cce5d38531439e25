-- The word-level three-way merge of a text field (contract Part 3, "Merge"): the changes of base -> local
-- and base -> global (assetsync.token_diff() hunks) are applied together to base when no two of them
-- overlap. A change covers the base tokens it deletes or, when it only inserts, the gap where it inserts.
-- A local and a global change overlap when they cover a common base token, insert into the same gap, or
-- one inserts strictly inside tokens the other deletes; changes that only touch do not overlap, and a
-- change made identically by both sides is taken once (so it overlaps nothing: each side's own changes are
-- separated by equal tokens). Connected groups of overlapping changes are the hunks of the conflict.

create or replace function assetsync.text_merge(p_base text, p_local text, p_global text)
returns jsonb
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_base text[] := assetsync.text_tokens(p_base);
    v_l text[] := assetsync.text_tokens(p_local);
    v_g text[] := assetsync.text_tokens(p_global);
    v_dl record;
    v_dg record;
    -- Every change, local then global: base range [c_from, c_to), replacement text, side.
    v_from integer[] := '{}'::integer[];
    v_to integer[] := '{}'::integer[];
    v_text text[] := '{}'::text[];
    v_side text[] := '{}'::text[];
    v_group integer[] := '{}'::integer[];
    v_nl integer;
    v_n integer := 0;
    v_old integer;
    v_new integer;
    v_conflict boolean := false;
    v_hunks jsonb := '[]'::jsonb;
    v_grp record;
begin
    v_dl := assetsync.token_diff(v_base, v_l);
    v_dg := assetsync.token_diff(v_base, v_g);
    for v_i in 1..coalesce(pg_catalog.cardinality(v_dl.a_from), 0) loop
        v_n := v_n + 1;
        v_from[v_n] := v_dl.a_from[v_i];
        v_to[v_n] := v_dl.a_to[v_i];
        v_text[v_n] := pg_catalog.array_to_string(v_l[v_dl.b_from[v_i] + 1:v_dl.b_to[v_i]], '');
        v_side[v_n] := 'local';
        v_group[v_n] := v_n;
    end loop;
    v_nl := v_n;
    for v_i in 1..coalesce(pg_catalog.cardinality(v_dg.a_from), 0) loop
        v_n := v_n + 1;
        v_from[v_n] := v_dg.a_from[v_i];
        v_to[v_n] := v_dg.a_to[v_i];
        v_text[v_n] := pg_catalog.array_to_string(v_g[v_dg.b_from[v_i] + 1:v_dg.b_to[v_i]], '');
        v_side[v_n] := 'global';
        v_group[v_n] := v_n;
        -- The same change on both sides is taken once.
        for v_j in 1..v_nl loop
            if v_from[v_j] = v_from[v_n] and v_to[v_j] = v_to[v_n] and v_text[v_j] = v_text[v_n] then
                v_side[v_j] := 'both';
                v_side[v_n] := 'same';
            end if;
        end loop;
    end loop;

    -- Overlapping local/global pairs join one group (the group is the smallest member's index).
    for v_i in 1..v_nl loop
        for v_j in v_nl + 1..v_n loop
            continue when v_side[v_j] = 'same' or v_side[v_i] = 'both';
            if (
                -- both delete tokens, with one in common
                (v_to[v_i] > v_from[v_i] and v_to[v_j] > v_from[v_j]
                    and v_from[v_i] < v_to[v_j] and v_from[v_j] < v_to[v_i])
                -- both only insert, into the same gap
                or (v_to[v_i] = v_from[v_i] and v_to[v_j] = v_from[v_j] and v_from[v_i] = v_from[v_j])
                -- one inserts strictly inside what the other deletes
                or (v_to[v_i] = v_from[v_i] and v_from[v_j] < v_from[v_i] and v_from[v_i] < v_to[v_j])
                or (v_to[v_j] = v_from[v_j] and v_from[v_i] < v_from[v_j] and v_from[v_j] < v_to[v_i])
            ) then
                v_conflict := true;
                v_old := greatest(v_group[v_i], v_group[v_j]);
                v_new := least(v_group[v_i], v_group[v_j]);
                for v_k in 1..v_n loop
                    if v_group[v_k] = v_old then
                        v_group[v_k] := v_new;
                    end if;
                end loop;
            end if;
        end loop;
    end loop;

    if not v_conflict then
        return pg_catalog.jsonb_build_object(
            'merged',
            (
                select
                    coalesce(pg_catalog.string_agg(
                        pg_catalog.array_to_string(v_base[c.prev_to + 1:c.c_from], '') || c.c_text, ''
                        order by c.c_from, c.c_to
                    ), '')
                    || pg_catalog.array_to_string(v_base[coalesce(max(c.c_to), 0) + 1:], '')
                from (
                    select
                        x.c_from, x.c_to, x.c_text,
                        coalesce(pg_catalog.lag(x.c_to) over (order by x.c_from, x.c_to), 0) as prev_to
                    from unnest(v_from, v_to, v_text, v_side) as x (c_from, c_to, c_text, side)
                    where x.side <> 'same'
                ) as c
            ),
            'hunks', '[]'::jsonb
        );
    end if;

    -- A hunk per group of two or more changes, in base order: the base text it covers and what each side
    -- made of it (that side's changes of the group applied to it).
    for v_grp in
        select x.grp, min(x.c_from) as g_from, max(x.c_to) as g_to
        from unnest(v_from, v_to, v_group) as x (c_from, c_to, grp)
        group by x.grp
        having count(*) > 1
        order by min(x.c_from), max(x.c_to)
    loop
        v_hunks := v_hunks || pg_catalog.jsonb_build_array(
            (
                select pg_catalog.jsonb_build_object(
                    'base', pg_catalog.array_to_string(v_base[v_grp.g_from + 1:v_grp.g_to], ''),
                    'local', min(s.made) filter (where s.who = 'local'),
                    'global', min(s.made) filter (where s.who = 'global')
                )
                from (
                    select
                        w.who,
                        coalesce(pg_catalog.string_agg(
                            pg_catalog.array_to_string(v_base[c.prev_to + 1:c.c_from], '') || c.c_text, ''
                            order by c.c_from, c.c_to
                        ), '')
                        || pg_catalog.array_to_string(v_base[coalesce(max(c.c_to), v_grp.g_from) + 1:v_grp.g_to], '')
                        as made
                    from (values ('local'), ('global')) as w (who)
                    left join lateral (
                        select
                            x.c_from, x.c_to, x.c_text,
                            coalesce(
                                pg_catalog.lag(x.c_to) over (order by x.c_from, x.c_to), v_grp.g_from
                            ) as prev_to
                        from unnest(v_from, v_to, v_text, v_side, v_group) as x (c_from, c_to, c_text, side, grp)
                        where x.grp = v_grp.grp and x.side in (w.who, 'both', 'same')
                            and (x.side <> 'same' or w.who = 'global')
                            and (x.side <> 'both' or w.who = 'local')
                    ) as c on true
                    group by w.who
                ) as s
            )
        );
    end loop;
    return pg_catalog.jsonb_build_object('merged', null, 'hunks', v_hunks);
end;
$fn$;

comment on function assetsync.text_merge(text, text, text) is
'Word-level three-way merge of base, local and global (NULL counts as the empty text): {"merged": the base '
'with every change of both sides applied, "hunks": []} when no local change overlaps a global one, else '
'{"merged": null, "hunks": [{"base", "local", "global"}, ...]}, one hunk per connected group of overlapping '
'changes in base order. Called by the generated sync for fields in text mode.';
