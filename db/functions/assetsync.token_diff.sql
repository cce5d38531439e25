-- A minimal edit script between two token arrays, as its hunks: each hunk is a maximal run of deleted and
-- inserted tokens between two runs of equal tokens, given as 0-based half-open token ranges of the old
-- (a_from, a_to) and new (b_from, b_to) arrays. The equal tokens left out are a longest common
-- subsequence. Myers' O(ND) algorithm after trimming the common prefix and suffix: a text pair of a few
-- thousand words with a few dozen scattered edits costs a few milliseconds.

create or replace function assetsync.token_diff(
    p_a text[],
    p_b text[],
    out a_from integer[],
    out a_to integer[],
    out b_from integer[],
    out b_to integer[]
)
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_n integer := coalesce(pg_catalog.cardinality(p_a), 0);
    v_m integer := coalesce(pg_catalog.cardinality(p_b), 0);
    v_pre integer := 0;
    v_suf integer := 0;
    v_nn integer;
    v_mm integer;
    v_off integer;
    v_v integer[];
    v_trace integer[] := '{}'::integer[];
    v_d integer;
    v_k integer;
    v_x integer;
    v_y integer;
    v_px integer;
    v_py integer;
    v_pk integer;
    v_found integer;
    v_edit_del boolean[] := '{}'::boolean[];
    v_edit_x integer[] := '{}'::integer[];
    v_edit_y integer[] := '{}'::integer[];
    v_e integer := 0;
    v_h integer := 0;
    v_open boolean := false;
begin
    a_from := '{}'::integer[];
    a_to := '{}'::integer[];
    b_from := '{}'::integer[];
    b_to := '{}'::integer[];
    while v_pre < v_n and v_pre < v_m and p_a[v_pre + 1] = p_b[v_pre + 1] loop
        v_pre := v_pre + 1;
    end loop;
    while v_suf < v_n - v_pre and v_suf < v_m - v_pre and p_a[v_n - v_suf] = p_b[v_m - v_suf] loop
        v_suf := v_suf + 1;
    end loop;
    v_nn := v_n - v_pre - v_suf;
    v_mm := v_m - v_pre - v_suf;
    if v_nn = 0 and v_mm = 0 then
        return;
    end if;
    if v_nn = 0 or v_mm = 0 then
        a_from := array[v_pre];
        a_to := array[v_pre + v_nn];
        b_from := array[v_pre];
        b_to := array[v_pre + v_mm];
        return;
    end if;

    -- Forward: v_v[k + v_off] is the furthest x on diagonal k; every step's values are kept in v_trace, the
    -- values of step d (k = -d, -d + 2, ..., d) from index d * (d + 1) / 2 + 1 on.
    v_off := v_nn + v_mm + 2;
    v_v := pg_catalog.array_fill(0, array[2 * v_off + 1]);
    v_d := 0;
    loop
        for v_i in 0..v_d loop
            v_k := 2 * v_i - v_d;
            if v_k = -v_d or (v_k <> v_d and v_v[v_k - 1 + v_off] < v_v[v_k + 1 + v_off]) then
                v_x := v_v[v_k + 1 + v_off];
            else
                v_x := v_v[v_k - 1 + v_off] + 1;
            end if;
            v_y := v_x - v_k;
            while v_x < v_nn and v_y < v_mm and p_a[v_pre + v_x + 1] = p_b[v_pre + v_y + 1] loop
                v_x := v_x + 1;
                v_y := v_y + 1;
            end loop;
            v_v[v_k + v_off] := v_x;
            v_trace[v_d * (v_d + 1) / 2 + v_i + 1] := v_x;
            if v_x >= v_nn and v_y >= v_mm then
                v_found := v_d;
                exit;
            end if;
        end loop;
        exit when v_found is not null;
        v_d := v_d + 1;
    end loop;

    -- Backward: one edit per step, from the end, each as the point (x, y) before it and its kind.
    v_x := v_nn;
    v_y := v_mm;
    for v_d in reverse v_found..1 loop
        v_k := v_x - v_y;
        if v_k = -v_d or (
            v_k <> v_d
            and v_trace[(v_d - 1) * v_d / 2 + (v_k - 1 + v_d - 1) / 2 + 1]
            < v_trace[(v_d - 1) * v_d / 2 + (v_k + 1 + v_d - 1) / 2 + 1]
        ) then
            v_pk := v_k + 1;
        else
            v_pk := v_k - 1;
        end if;
        v_px := v_trace[(v_d - 1) * v_d / 2 + (v_pk + v_d - 1) / 2 + 1];
        v_py := v_px - v_pk;
        v_e := v_e + 1;
        v_edit_del[v_e] := v_pk = v_k - 1;
        v_edit_x[v_e] := v_px;
        v_edit_y[v_e] := v_py;
        v_x := v_px;
        v_y := v_py;
    end loop;

    -- The edits in order, grouped into hunks: an edit that starts where the open hunk ends extends it.
    for v_i in reverse v_e..1 loop
        if not v_open or a_to[v_h] <> v_pre + v_edit_x[v_i] or b_to[v_h] <> v_pre + v_edit_y[v_i] then
            v_h := v_h + 1;
            a_from[v_h] := v_pre + v_edit_x[v_i];
            a_to[v_h] := v_pre + v_edit_x[v_i];
            b_from[v_h] := v_pre + v_edit_y[v_i];
            b_to[v_h] := v_pre + v_edit_y[v_i];
            v_open := true;
        end if;
        if v_edit_del[v_i] then
            a_to[v_h] := a_to[v_h] + 1;
        else
            b_to[v_h] := b_to[v_h] + 1;
        end if;
    end loop;
end;
$fn$;

comment on function assetsync.token_diff(text[], text[]) is
'A minimal edit script between two token arrays (Myers'' O(ND) algorithm after trimming the common prefix '
'and suffix), as hunks: maximal runs of changed tokens between equal ones, given as 0-based half-open '
'ranges a_from..a_to of p_a (deleted) and b_from..b_to of p_b (inserted). Used by text_diff() and '
'assetsync.text_merge().';
