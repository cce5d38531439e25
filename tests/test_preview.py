"""preview_sync_global_asset and preview_global_asset_change (CONTRACT.md, Part 3).

The preview is checked against what sync_global_asset() then does, copy by copy and field by field, for a
library with overridden, conflicting, mergeable (text mode), detached and other tenants' copies, run as a
tenant under row-level security; a preview of a change equals making the change and previewing; neither
writes nor locks anything; the errors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from story import BLACK_HAIR, BLUE, CLEAN, GREY, LOCAL_IMAGE, RED_HAIR, TORN
from support import SYNCED_FIELDS, Conn, clone, scalar, sqlstate_of, sync, tables_snapshot, update

PreviewRow = tuple[UUID, UUID, str, str, Any, Any, Any]


def preview(conn: Conn, global_id: UUID) -> list[PreviewRow]:
    return [tuple(r) for r in conn.execute("select * from preview_sync_global_asset(%s)", [global_id])]  # type: ignore[misc]


def preview_change(conn: Conn, global_id: UUID, changes: dict[str, Any]) -> list[PreviewRow]:
    rows = conn.execute("select * from preview_global_asset_change(%s, %s)", [global_id, Jsonb(changes)])
    return [tuple(r) for r in rows]  # type: ignore[misc]


def copies(conn: Conn, global_id: UUID) -> dict[UUID, dict[str, Any]]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("select * from project_assets where global_asset_id = %s", [global_id])
        return {r["id"]: r for r in cur.fetchall()}


def as_json(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=str))


def what_the_sync_did(conn: Conn, global_id: UUID) -> list[PreviewRow]:
    """Run sync_global_asset() and read, from the copies before and after, what it did to each field whose
    global value differed from the local one."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("select * from global_assets where id = %s", [global_id])
        g = cur.fetchone()
    assert g is not None
    before = copies(conn, global_id)
    base = {
        pa_id: conn.execute(
            "select snapshot from global_asset_versions where global_asset_id = %s and version = %s",
            [global_id, pa["global_version"]],
        ).fetchone()
        for pa_id, pa in before.items()
    }
    scalar(conn, "select sync_global_asset(%s)", [global_id])
    after = copies(conn, global_id)
    rows: list[PreviewRow] = []
    for pa_id in sorted(before, key=lambda i: (str(before[i]["project_id"]), str(i))):
        old, new = before[pa_id], after[pa_id]
        for f in SYNCED_FIELDS:
            if old[f] == g[f]:
                continue
            if new[f] == g[f] and f not in new["overridden_fields"]:
                outcome = "update"
            elif new[f] != old[f]:
                outcome = "merge"
            elif f in new["sync_conflicts"] and new["sync_conflicts"][f] != old["sync_conflicts"].get(f):
                outcome = "conflict"
            else:
                outcome = "keep"
            snapshot = base[pa_id][0] if base[pa_id] else {}
            rows.append((pa_id, old["project_id"], f, outcome, as_json(old[f]), as_json(g[f]), snapshot.get(f)))
    return sorted(rows, key=lambda r: (str(r[1]), str(r[0]), SYNCED_FIELDS.index(r[2])))


@pytest.fixture
def tenant(conn: Conn, db_url: str) -> Iterator[tuple[UUID, Conn]]:
    """A user of an API role (what `migrate --grant-to` grants), on its own connection."""
    role = f"assetsync_preview_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    conn.execute("select assetsync.grant_to(%s)", (role,))
    user = uuid.uuid4()
    caller = psycopg.connect(db_url, autocommit=True)
    caller.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
    caller.execute("select set_config('request.jwt.claims', %s, false)", [json.dumps({"sub": str(user)})])
    try:
        yield user, caller
    finally:
        caller.close()
        conn.execute("select assetsync.revoke_from(%s)", (role,))
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def library(conn: Conn, owner: UUID) -> tuple[UUID, dict[str, UUID]]:
    """A global of `owner` (v1 CLEAN, BLACK_HAIR) with copies of every kind, then changed to v2 (GREY,
    RED_HAIR, name "John"), description in text mode."""
    conn.execute("select set_synced_field_merge('description', 'text')")
    mine = scalar(conn, "insert into projects (name, owner_id) values ('Mine', %s) returning id", [owner])
    mine2 = scalar(conn, "insert into projects (name, owner_id) values ('Mine too', %s) returning id", [owner])
    theirs = scalar(conn, "insert into projects (name, owner_id) values ('Theirs', %s) returning id", [uuid.uuid4()])
    g = scalar(
        conn,
        "insert into global_assets (name, asset_type, description, image_key_url, owner_id) "
        "values ('John Doe', 'character', 'a tall man in a clean suit', %s, %s) returning id",
        [BLACK_HAIR, owner],
    )
    c = {
        "plain": clone(conn, g, mine),
        "overridden": clone(conn, g, mine),
        "conflicting": clone(conn, g, mine2),
        "mergeable": clone(conn, g, mine2),
        "detached": clone(conn, g, mine),
        "other_tenant": clone(conn, g, theirs),
        "in_sync_override": clone(conn, g, mine),
    }
    update(conn, "project_assets", c["overridden"], image_key_url=LOCAL_IMAGE)  # global's image changes: conflict
    update(conn, "project_assets", c["conflicting"], description=TORN)  # global's description changes: overlap
    update(conn, "project_assets", c["mergeable"], description="a tall man in a clean suit, smiling")
    update(conn, "project_assets", c["in_sync_override"], asset_type="prop")  # the global's asset_type stays
    update(conn, "project_assets", c["detached"], global_asset_id=None)
    update(conn, "global_assets", g, description="a big man in a clean suit", image_key_url=RED_HAIR, name="John")
    # An entry from an earlier sync that stays (keep, no new entry): override name, sync, then nothing new.
    return g, c


def test_the_preview_is_what_the_fan_out_then_does(conn: Conn, tenant: tuple[UUID, Conn]) -> None:
    user, me = tenant
    g, c = library(conn, user)
    sync(conn, c["overridden"])  # writes the conflict on image_key_url: the fan-out keeps it (keep)
    update(conn, "global_assets", g, asset_type="location")  # a second version: more to do for everyone
    previewed = preview(me, g)
    ids = {r[0] for r in previewed}
    assert c["detached"] not in ids and c["other_tenant"] not in ids
    outcomes = {(r[0], r[2]): r[3] for r in previewed}
    assert outcomes[(c["plain"], "description")] == "update"
    assert outcomes[(c["overridden"], "image_key_url")] == "keep"
    assert outcomes[(c["conflicting"], "description")] == "conflict"
    assert outcomes[(c["mergeable"], "description")] == "merge"
    assert outcomes[(c["in_sync_override"], "asset_type")] == "conflict"
    before = tables_snapshot(conn)
    assert preview(me, g) == previewed  # writes nothing
    assert tables_snapshot(conn) == before
    assert what_the_sync_did(me, g) == previewed


def test_a_preview_takes_no_row_lock(conn: Conn, tenant: tuple[UUID, Conn], db_url: str) -> None:
    user, me = tenant
    g, _ = library(conn, user)
    with psycopg.connect(db_url) as locker:
        locker.execute("select from project_assets where global_asset_id = %s for update", [g])
        locker.execute("select from global_assets where id = %s for update", [g])
        me.execute("set lock_timeout = '5s'")
        assert preview(me, g)  # would fail with 55P03 if it waited on a row lock
        assert preview_change(me, g, {"name": "Jack"})
        locker.rollback()


def test_a_preview_of_a_change_equals_making_it_and_previewing(conn: Conn, tenant: tuple[UUID, Conn]) -> None:
    user, me = tenant
    g, _ = library(conn, user)
    changes = {"name": "Jack", "description": "a big man in a blue suit", "visual_style_capsule_id": None}
    expected_before = preview_change(me, g, changes)
    assert scalar(conn, "select version from global_assets where id = %s", [g]) == 2
    me.execute("begin")
    me.execute(
        "update global_assets set name = %s, description = %s, visual_style_capsule_id = null where id = %s",
        [changes["name"], changes["description"], g],
    )
    made = preview(me, g)
    me.execute("rollback")
    assert expected_before == made
    assert preview_change(me, g, {}) == preview(me, g)


def test_sql_null_and_json_null_in_the_value_columns(conn: Conn, tenant: tuple[UUID, Conn]) -> None:
    user, me = tenant
    g, c = library(conn, user)
    rows = preview_change(me, g, {"image_key_url": None})
    plain = [r for r in rows if r[0] == c["plain"] and r[2] == "image_key_url"]
    assert plain == [(c["plain"], plain[0][1], "image_key_url", "update", BLACK_HAIR, None, BLACK_HAIR)]


def test_errors(conn: Conn, tenant: tuple[UUID, Conn]) -> None:
    user, me = tenant
    g, _ = library(conn, user)
    other = scalar(
        conn, "insert into global_assets (name, asset_type, owner_id) values ('X', 'prop', %s) returning id",
        [uuid.uuid4()],
    )
    assert sqlstate_of(me, "select * from preview_sync_global_asset(null)") == "22004"
    assert sqlstate_of(me, "select * from preview_sync_global_asset(%s)", [other]) == "P0002"
    assert sqlstate_of(me, "select * from preview_global_asset_change(%s, null)", [g]) == "22004"
    assert sqlstate_of(me, "select * from preview_global_asset_change(%s, %s)", [other, Jsonb({})]) == "P0002"
    for bad in ({"nope": 1}, {"version": 3}, {"visual_style_capsule_id": "not a uuid"}, {"name": None}, [1]):
        assert sqlstate_of(me, "select * from preview_global_asset_change(%s, %s)", [g, Jsonb(bad)]) == "22023", bad
    assert GREY and BLUE and CLEAN and RED_HAIR  # the story's values used by the library above
