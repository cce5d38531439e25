"""Word-level visual diff and three-way text merge (CONTRACT.md Part 3, issue 16).

text_diff() is checked against its contract by property tests (reassembly, minimality against a reference
LCS on small token lists, the segment shape rules); assetsync.text_merge() by edits designed to be disjoint
(a clean merge holding both sides' edits) or to overlap (always a conflict). The sync tests run the story:
the project's "a dirty, torn suit" and a library edit elsewhere in the sentence merge cleanly in text mode,
and never in whole mode; the merge is journaled and undone. Real PostgreSQL, one shared database.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from support import Conn, clone, new_global, new_project

WS = "\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TOKEN = re.compile(f"[{WS}]+|[^{WS}]+")

BASE = "a tall man in a clean suit"
LOCAL = "a tall man in a dirty, torn suit"
GLOBAL = "a short man in a clean suit"
MERGED = "a short man in a dirty, torn suit"

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

pieces = st.sampled_from(["a", "b", "c", "é", "x,", "日本", " ", "  ", "\n", "\u00a0", "\u3000", "\t"])
texts = st.lists(pieces, max_size=12).map("".join)


def tokens(text: str | None) -> list[str]:
    return TOKEN.findall(text or "")


def lcs_length(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            cur = row[j]
            row[j] = prev + 1 if x == y else max(row[j], row[j - 1])
            prev = cur
    return row[-1]


def text_diff(db: Conn, old: str | None, new: str | None) -> list[dict[str, str]]:
    row = db.execute("select text_diff(%s, %s)", (old, new)).fetchone()
    assert row is not None
    return row[0]


def text_merge(db: Conn, base: str | None, local: str | None, global_: str | None) -> dict[str, Any]:
    row = db.execute("select assetsync.text_merge(%s, %s, %s)", (base, local, global_)).fetchone()
    assert row is not None
    return row[0]


def check_shape(segments: list[dict[str, str]], old: str, new: str) -> None:
    ops = [s["op"] for s in segments]
    assert all(s["text"] != "" for s in segments)
    assert "".join(s["text"] for s in segments if s["op"] != "insert") == old
    assert "".join(s["text"] for s in segments if s["op"] != "delete") == new
    assert all(a != b for a, b in itertools.pairwise(ops)), ops
    # Between two equal segments: at most one delete, then at most one insert.
    assert "insertdelete" not in "".join(ops), ops


# ------------------------------------------------------------------------------------------ text_diff


@PROPS
@given(old=texts, new=texts)
def test_text_diff_reassembles_both_texts_and_is_minimal(db: Conn, old: str, new: str) -> None:
    row = db.execute("select assetsync.text_tokens(%s), assetsync.text_tokens(%s)", (old, new)).fetchone()
    assert row == (tokens(old), tokens(new))
    segments = text_diff(db, old, new)
    check_shape(segments, old, new)
    equal_tokens = sum(len(tokens(s["text"])) for s in segments if s["op"] == "equal")
    assert equal_tokens == lcs_length(tokens(old), tokens(new))


@PROPS
@given(words=st.lists(st.sampled_from(["w", "x", "y", "z"]), min_size=1, max_size=8), data=st.data())
def test_text_diff_is_minimal_on_word_edits(db: Conn, words: list[str], data: st.DataObject) -> None:
    """Texts that share most of their tokens, where a longest common subsequence is long."""
    old = " ".join(words)
    edited = data.draw(st.lists(st.sampled_from(["w", "x", "y", "z", "v"]), min_size=0, max_size=9))
    new = " ".join(edited)
    segments = text_diff(db, old, new)
    check_shape(segments, old, new)
    assert sum(len(tokens(s["text"])) for s in segments if s["op"] == "equal") == lcs_length(
        tokens(old), tokens(new)
    )


def test_text_diff_edge_cases(db: Conn) -> None:
    assert text_diff(db, None, None) == []
    assert text_diff(db, "", "") == []
    assert text_diff(db, None, "") == []
    assert text_diff(db, None, "a b") == [{"op": "insert", "text": "a b"}]
    assert text_diff(db, "a b", None) == [{"op": "delete", "text": "a b"}]
    assert text_diff(db, "   ", "   ") == [{"op": "equal", "text": "   "}]
    assert text_diff(db, " ", "\u3000") == [{"op": "delete", "text": " "}, {"op": "insert", "text": "\u3000"}]
    # Punctuation belongs to its word; a no-break space separates words.
    assert text_diff(db, "a dirty suit", "a dirty, torn\u00a0suit") == [
        {"op": "equal", "text": "a "},
        {"op": "delete", "text": "dirty"},
        {"op": "insert", "text": "dirty,"},
        {"op": "equal", "text": " "},
        {"op": "insert", "text": "torn\u00a0"},
        {"op": "equal", "text": "suit"},
    ]
    assert text_diff(db, "日本 語", "日本 語 です") == [
        {"op": "equal", "text": "日本 語"},
        {"op": "insert", "text": " です"},
    ]


def test_text_diff_of_long_texts_with_scattered_edits(db: Conn) -> None:
    words = [f"w{i}" for i in range(2000)]
    old = " ".join(words)
    edited = list(words)
    for i in range(50, 2000, 100):
        edited[i] = f"new{i}"
    new = " ".join(edited)
    segments = text_diff(db, old, new)
    check_shape(segments, old, new)
    assert [s["text"] for s in segments if s["op"] == "insert"] == [f"new{i}" for i in range(50, 2000, 100)]


# ------------------------------------------------------------------------------------------ text_merge

# An edit of a word of the base: replace it, delete it (with its space), or insert a word before it.
edit_kinds = st.sampled_from(["replace", "delete", "insert"])


def apply_edits(words: list[str], edits: dict[int, tuple[str, str]]) -> str:
    out: list[str] = []
    for i, word in enumerate(words):
        kind, new = edits.get(i, ("keep", ""))
        if kind == "insert":
            out += [new, word]
        elif kind == "replace":
            out.append(new)
        elif kind == "keep":
            out.append(word)
    return " ".join(out)


@PROPS
@given(n=st.integers(min_value=1, max_value=14), data=st.data())
def test_a_clean_merge_holds_every_change_of_both_sides(db: Conn, n: int, data: st.DataObject) -> None:
    words = [f"w{i}" for i in range(n)]
    # Indices at least two words apart, each given to one side.
    chosen = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n).map(sorted))
    spaced: list[int] = []
    for i in chosen:
        if not spaced or i - spaced[-1] >= 2:
            spaced.append(i)
    local: dict[int, tuple[str, str]] = {}
    global_: dict[int, tuple[str, str]] = {}
    for i in spaced:
        side = data.draw(st.booleans())
        (local if side else global_)[i] = (data.draw(edit_kinds), f"{'L' if side else 'G'}{i}")
    base = " ".join(words)
    local_text = apply_edits(words, local)
    global_text = apply_edits(words, global_)
    result = text_merge(db, base, local_text, global_text)
    expected = apply_edits(words, {**local, **global_})
    assert result == {"merged": expected, "hunks": []}
    # Symmetric: the global's edits applied to local equal the local's applied to global.
    assert text_merge(db, base, global_text, local_text) == {"merged": expected, "hunks": []}


@PROPS
@given(n=st.integers(min_value=1, max_value=10), data=st.data())
def test_overlapping_edits_always_conflict(db: Conn, n: int, data: st.DataObject) -> None:
    words = [f"w{i}" for i in range(n)]
    i = data.draw(st.integers(0, n - 1))
    local_kind, global_kind = data.draw(
        st.sampled_from([("replace", "replace"), ("replace", "delete"), ("delete", "replace")])
    )
    base = " ".join(words)
    local_text = apply_edits(words, {i: (local_kind, "L")})
    global_text = apply_edits(words, {i: (global_kind, "G")})
    result = text_merge(db, base, local_text, global_text)
    assert result["merged"] is None
    assert len(result["hunks"]) == 1
    hunk = result["hunks"][0]
    assert words[i] in hunk["base"]
    assert set(hunk) == {"base", "local", "global"}


def test_merge_rules(db: Conn) -> None:
    # The same change on both sides is taken once.
    assert text_merge(db, "a b c", "a x c", "a x c d") == {"merged": "a x c d", "hunks": []}
    # Inserts into the same gap overlap.
    result = text_merge(db, "a b", "a b c", "a b d")
    assert result == {"merged": None, "hunks": [{"base": "", "local": " c", "global": " d"}]}
    # An insert strictly inside deleted tokens overlaps; touching changes do not.
    assert text_merge(db, "a b c d", "a d", "a b x c d")["merged"] is None
    assert text_merge(db, "a b c d", "a x c d", "a b c y")["merged"] == "a x c y"
    # One side unchanged: the other side's text.
    assert text_merge(db, "a b", "a b", "c") == {"merged": "c", "hunks": []}
    assert text_merge(db, None, None, "c") == {"merged": "c", "hunks": []}
    # Two groups of overlapping changes, in base order.
    result = text_merge(db, "a b c d e", "a X c d Y", "a Z c d W")
    assert result["merged"] is None
    assert result["hunks"] == [
        {"base": "b", "local": "X", "global": "Z"},
        {"base": "e", "local": "Y", "global": "W"},
    ]


# ------------------------------------------------------------------------------------------ the sync


@pytest.fixture
def text_mode(db: Conn) -> Iterator[None]:
    db.execute("select set_synced_field_merge('description', 'text')")
    yield
    db.execute("select set_synced_field_merge('description', 'whole')")


def story(
    db: Conn, base: str = BASE, local: str = LOCAL, global_: str = GLOBAL, project: UUID | None = None
) -> tuple[UUID, UUID, UUID]:
    """A project copy of a global; the project edits its description, then the library edits it."""
    project = project or new_project(db)
    global_id = new_global(db, "John Doe", description=base)
    copy = clone(db, global_id, project)
    db.execute("update project_assets set description = %s where id = %s", (local, copy))
    db.execute("update global_assets set description = %s where id = %s", (global_, global_id))
    return project, global_id, copy


def copy_row(db: Conn, copy: UUID) -> dict[str, Any]:
    cur = db.execute(
        "select description, overridden_fields, sync_conflicts, global_version from project_assets where id = %s",
        (copy,),
    )
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    return dict(zip([c.name for c in cur.description], row, strict=True))


def sync(db: Conn, copy: UUID) -> dict[str, Any]:
    row = db.execute("select sync_project_asset(%s)", (copy,)).fetchone()
    assert row is not None
    return row[0]


def test_the_torn_suit_and_a_library_edit_elsewhere_merge_cleanly(db: Conn, text_mode: None) -> None:
    _, _, copy = story(db)
    states = dict(db.execute("select field, state from project_asset_diff(%s)", (copy,)).fetchall())
    assert states["description"] == "will_merge"
    report = sync(db, copy)
    assert report["merged_fields"] == ["description"]
    assert report["updated_fields"] == ["description"]
    assert "description" in report["kept_fields"]
    assert report["conflict_fields"] == []
    assert report["status"] == "synced"
    row = copy_row(db, copy)
    assert row["description"] == MERGED
    assert row["overridden_fields"] == ["description"]
    assert row["sync_conflicts"] == {}
    assert row["global_version"] == 2
    states = dict(db.execute("select field, state from project_asset_diff(%s)", (copy,)).fetchall())
    assert states["description"] == "overridden"


def test_a_merge_never_happens_in_whole_mode(db: Conn) -> None:
    assert db.execute(
        "select merge from synced_field_settings where field = 'description'"
    ).fetchone() == ("whole",)
    _, _, copy = story(db)
    states = dict(db.execute("select field, state from project_asset_diff(%s)", (copy,)).fetchall())
    assert states["description"] == "conflict"
    report = sync(db, copy)
    assert report["merged_fields"] == []
    assert report["conflict_fields"] == ["description"]
    row = copy_row(db, copy)
    assert row["description"] == LOCAL
    assert "hunks" not in row["sync_conflicts"]["description"]


sentences = st.lists(st.sampled_from(["a", "tall", "man", "dirty,", "torn", "suit", " ", "\n"]), max_size=8).map(
    "".join
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=sentences, local=sentences, global_=sentences, text=st.booleans())
def test_a_sync_merges_exactly_when_text_mode_and_no_overlap(
    db: Conn, base: str, local: str, global_: str, text: bool
) -> None:
    """Whatever the texts: in whole mode a sync never merges; in text mode it does what text_merge() says."""
    db.execute("select set_synced_field_merge('description', %s)", ("text" if text else "whole",))
    try:
        _, _, copy = story(db, base, local, global_)
        report = sync(db, copy)
        row = copy_row(db, copy)
        conflict = local != global_ and global_ != base and local != base
        if local == base:  # the edit left nothing different: not overridden, takes the global
            assert report["merged_fields"] == [] and row["description"] == global_
            return
        expected = text_merge(db, base, local, global_)
        if not (text and conflict and expected["merged"] is not None):
            assert report["merged_fields"] == []
            assert row["description"] == local
            assert ("description" in row["sync_conflicts"]) == conflict
            assert ("hunks" in row["sync_conflicts"].get("description", {})) == (text and conflict)
        else:
            assert report["merged_fields"] == ["description"]
            assert report["conflict_fields"] == []
            assert row["description"] == expected["merged"]
            assert row["sync_conflicts"] == {}
    finally:
        db.execute("select set_synced_field_merge('description', 'whole')")


def test_an_overlap_records_the_conflict_with_its_hunks(db: Conn, text_mode: None) -> None:
    _, _, copy = story(db, global_="a tall man in a grey suit")
    states = dict(db.execute("select field, state from project_asset_diff(%s)", (copy,)).fetchall())
    assert states["description"] == "conflict"
    report = sync(db, copy)
    assert report["merged_fields"] == []
    assert report["conflict_fields"] == ["description"]
    row = copy_row(db, copy)
    assert row["description"] == LOCAL
    entry = row["sync_conflicts"]["description"]
    assert (entry["base"], entry["local"], entry["global"]) == (BASE, LOCAL, "a tall man in a grey suit")
    assert entry["hunks"] == [{"base": "clean", "local": "dirty, torn", "global": "grey"}]


def test_a_merge_drops_an_older_conflict_entry(db: Conn, text_mode: None) -> None:
    _, global_id, copy = story(db, global_="a tall man in a grey suit")
    sync(db, copy)
    assert "description" in copy_row(db, copy)["sync_conflicts"]
    # The base is now the grey version; the library edits another word: the merge is clean now.
    db.execute("update global_assets set description = %s where id = %s", ("a short man in a grey suit", global_id))
    report = sync(db, copy)
    assert report["merged_fields"] == ["description"]
    row = copy_row(db, copy)
    assert row["sync_conflicts"] == {}
    assert row["description"] == MERGED


def test_merged_fields_in_every_report_and_fan_out_merges(db: Conn, text_mode: None) -> None:
    project, global_id, copy = story(db)
    other = clone(db, global_id, project)
    assert sync(db, other)["merged_fields"] == []
    db.execute("update global_assets set description = %s where id = %s", ("a short man in a clean suit!", global_id))
    assert db.execute("select sync_global_asset(%s)", (global_id,)).fetchone() == (2,)
    assert copy_row(db, copy)["description"] == "a short man in a dirty, torn suit!"
    assert copy_row(db, copy)["sync_conflicts"] == {}
    assert copy_row(db, other)["description"] == "a short man in a clean suit!"
    # Per project.
    _, _, copy2 = story(db, project=project)
    db.execute("select sync_project(%s)", (project,))
    assert copy_row(db, copy2)["description"] == MERGED
    assert sync(db, copy2)["merged_fields"] == []


def test_undo_of_a_merged_sync_restores_the_copy(db: Conn, text_mode: None) -> None:
    _, _, copy = story(db)
    before = copy_row(db, copy)
    sync(db, copy)
    row = db.execute(
        "select id, fields, after from project_asset_changes where project_asset_id = %s and kind = 'sync' "
        "order by id desc limit 1",
        (copy,),
    ).fetchone()
    assert row is not None
    change, fields, after = row
    assert "description" in fields
    assert after["description"]["value"] == MERGED
    db.execute("select undo_project_asset_change(%s)", (change,))
    assert copy_row(db, copy) == before


def test_visual_diff(db: Conn, text_mode: None) -> None:
    _, _, copy = story(db)
    rows = db.execute("select * from project_asset_visual_diff(%s)", (copy,)).fetchall()
    diff_rows = db.execute("select field, state from project_asset_diff(%s)", (copy,)).fetchall()
    assert [(r[0], r[1]) for r in rows] == diff_rows
    by_field = {r[0]: r for r in rows}
    _, state, base_to_local, base_to_global, local_to_global = by_field["description"]
    assert state == "will_merge"
    assert base_to_local == [
        {"op": "equal", "text": "a tall man in a "},
        {"op": "delete", "text": "clean"},
        {"op": "insert", "text": "dirty, torn"},
        {"op": "equal", "text": " suit"},
    ]
    assert base_to_global == [
        {"op": "equal", "text": "a "},
        {"op": "delete", "text": "tall"},
        {"op": "insert", "text": "short"},
        {"op": "equal", "text": " man in a clean suit"},
    ]
    assert "".join(s["text"] for s in local_to_global if s["op"] != "delete") == GLOBAL
    # Text-typed fields never NULL (a NULL value is the empty text); other types NULL.
    assert by_field["image_key_url"][2] == []
    assert by_field["visual_style_capsule_id"][2:] == (None, None, None)
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        db.execute("select * from project_asset_visual_diff(null)")
    with pytest.raises(psycopg.errors.NoDataFound):
        db.execute("select * from project_asset_visual_diff(%s)", (uuid.uuid4(),))


# ------------------------------------------------------------------------------------------ settings


def test_settings_view_and_refresh(db: Conn, text_mode: None) -> None:
    fields = db.execute("select assetsync.synced_fields()").fetchone()
    assert fields is not None
    rows = db.execute("select field, merge from synced_field_settings").fetchall()
    assert [r[0] for r in rows] == fields[0]
    assert dict(rows)["description"] == "text"
    db.execute("select asset_sync_refresh()")
    assert db.execute("select merge from synced_field_settings where field = 'description'").fetchone() == ("text",)


@pytest.mark.parametrize(
    ("field", "mode", "error"),
    [
        ("nope", "text", psycopg.errors.InvalidParameterValue),
        ("description", "lines", psycopg.errors.InvalidParameterValue),
        ("visual_style_capsule_id", "text", psycopg.errors.InvalidParameterValue),
        (None, "text", psycopg.errors.NullValueNotAllowed),
        ("description", None, psycopg.errors.NullValueNotAllowed),
    ],
)
def test_set_synced_field_merge_errors(db: Conn, field: str | None, mode: str | None, error: type) -> None:
    with pytest.raises(error):
        db.execute("select set_synced_field_merge(%s, %s)", (field, mode))


def test_set_synced_field_merge_needs_the_owner(db: Conn) -> None:
    role = f"assetsync_nonowner_{uuid.uuid4().hex[:8]}"
    db.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    try:
        # Even given EXECUTE (no API role is), a non-owner is refused before its arguments are checked.
        db.execute(
            sql.SQL("grant execute on function set_synced_field_merge(text, text) to {}").format(sql.Identifier(role))
        )
        db.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        try:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="merge mode"):
                db.execute("select set_synced_field_merge(null, null)")
        finally:
            db.execute("reset role")
    finally:
        revoke = sql.SQL("revoke all on function set_synced_field_merge(text, text) from {}")
        db.execute(revoke.format(sql.Identifier(role)))
        db.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_text_typed_fields_are_text_varchar_and_domains_over_them(conn: Conn) -> None:
    conn.execute("create domain short_note as varchar(40) check (value <> 'forbidden')")
    for table in ("global_assets", "project_assets"):
        conn.execute(f"alter table {table} add column note short_note, add column tags text[], add column code char(3)")
    conn.execute("select asset_sync_refresh()")
    conn.execute("select set_synced_field_merge('note', 'text')")
    for field in ("tags", "code"):
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("select set_synced_field_merge(%s, 'text')", (field,))
    assert conn.execute("select field, merge from synced_field_settings where merge = 'text'").fetchall() == [
        ("note", "text")
    ]
    project = new_project(conn)
    global_id = new_global(conn, "John Doe", note="a tall man", tags=["a"], code="abc")
    copy = clone(conn, global_id, project)
    conn.execute("update project_assets set note = 'a tall man, torn' where id = %s", (copy,))
    conn.execute("update global_assets set note = 'a short man' where id = %s", (global_id,))
    rows = {r[0]: r for r in conn.execute("select * from project_asset_visual_diff(%s)", (copy,)).fetchall()}
    assert rows["note"][1] == "will_merge"
    assert rows["note"][2] == [
        {"op": "equal", "text": "a tall "},
        {"op": "delete", "text": "man"},
        {"op": "insert", "text": "man, torn"},
    ]
    assert rows["tags"][2:] == rows["code"][2:] == (None, None, None)
    report = sync(conn, copy)
    assert report["merged_fields"] == ["note"]
    assert conn.execute("select note from project_assets where id = %s", (copy,)).fetchone() == ("a short man, torn",)
    # The setting lives while the field is synced.
    for table in ("global_assets", "project_assets"):
        conn.execute(f"alter table {table} drop column note")
    conn.execute("select asset_sync_refresh()")
    assert conn.execute("select count(*) from synced_field_settings where field = 'note'").fetchone() == (0,)
    for table in ("global_assets", "project_assets"):
        conn.execute(f"alter table {table} add column note text")
    conn.execute("select asset_sync_refresh()")
    assert conn.execute("select merge from synced_field_settings where field = 'note'").fetchone() == ("whole",)
