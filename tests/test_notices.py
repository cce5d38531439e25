"""Live notices on channel assetsync (CONTRACT.md, Part 3): sent at commit, none on rollback, summaries above
100, and an ALTER TABLE of the synced tables after a sync in the same transaction still works.

A second connection LISTENs; notices are read with psycopg's notifies() bounded by a timeout that is only a
safety net: each test first commits, and PostgreSQL delivers a transaction's notices before the commit
returns to the listener's next read, so a final marker NOTIFY sent after the transaction tells the test
that every notice of it has arrived.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from story import GREY, LOCAL_IMAGE, RED_HAIR, TORN, john_doe
from support import Conn, clone, new_global, new_project, scalar, sync, update


@pytest.fixture
def listener(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("listen assetsync")
        yield conn


def received(listener: Conn, conn: Conn) -> list[dict[str, Any]]:
    """Every notice on channel assetsync up to a marker that `conn` sends now (after its transactions)."""
    conn.execute("select pg_notify('assetsync', '\"marker\"')")
    out: list[dict[str, Any]] = []
    for notice in listener.notifies(timeout=30):
        payload = json.loads(notice.payload)
        if payload == "marker":
            return out
        assert len(notice.payload.encode()) < 8000
        out.append(payload)
    pytest.fail("the marker notice never arrived")


def test_a_version_and_a_conflict_are_announced_at_commit(conn: Conn, listener: Conn) -> None:
    john = john_doe(conn)
    received(listener, conn)
    update(conn, "project_assets", john.copy, description=TORN)
    conn.execute("begin")
    update(conn, "global_assets", john.global_asset, description=GREY)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    sync(conn, john.copy)
    sync(conn, john.copy)
    conn.execute("commit")
    assert received(listener, conn) == [
        {"event": "global_version", "global_asset_id": str(john.global_asset), "version": 3},
        {
            "event": "conflict", "project_asset_id": str(john.copy), "project_id": str(john.project),
            "global_asset_id": str(john.global_asset), "fields": ["description"], "merged_fields": [],
        },
    ]
    assert scalar(conn, "select count(*) from assetsync.notice_queue") == 0


def test_a_rolled_back_transaction_sends_nothing(conn: Conn, listener: Conn) -> None:
    john = john_doe(conn)
    received(listener, conn)
    update(conn, "project_assets", john.copy, image_key_url=LOCAL_IMAGE)
    conn.execute("begin")
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    sync(conn, john.copy)
    conn.execute("rollback")
    assert received(listener, conn) == []


def test_an_alter_table_after_a_sync_in_the_same_transaction_works(conn: Conn, listener: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, image_key_url=LOCAL_IMAGE)
    received(listener, conn)
    conn.execute("begin")
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    sync(conn, john.copy)
    conn.execute("alter table project_assets add column mood text")
    conn.execute("alter table global_assets add column mood text")
    conn.execute("commit")
    events = [n["event"] for n in received(listener, conn)]
    assert events == ["global_version", "conflict"]


def test_more_than_100_globals_make_one_summary(conn: Conn, listener: Conn) -> None:
    conn.execute("begin")
    for i in range(101):
        new_global(conn, f"G{i}")
    conn.execute("commit")
    assert received(listener, conn) == [{"event": "global_versions", "count": 101}]


def test_each_statement_queues_one_row_and_unversioned_updates_none(conn: Conn, listener: Conn) -> None:
    """The queue holds one row per statement and event, not one per version or copy (issue 17's cost)."""
    project = new_project(conn)
    globals_ = [new_global(conn, f"G{i}", description="x") for i in range(3)]
    for g in globals_:
        for _ in range(2):
            clone(conn, g, project)
    conn.execute("update project_assets set description = 'local'")  # every copy overrides the description
    received(listener, conn)
    conn.execute("begin")
    conn.execute("update global_assets set name = name")  # no synced value changes: no version, no notice
    assert scalar(conn, "select count(*) from assetsync.notice_queue") == 0
    conn.execute("update global_assets set description = 'y' where id = any(%s)", [globals_])
    assert scalar(conn, "select count(*) from assetsync.notice_queue") == 1
    for g in globals_:
        assert scalar(conn, "select sync_global_asset(%s)", [g]) == 2
    assert scalar(conn, "select count(*) from assetsync.notice_queue") == 4  # one per fan-out statement
    conn.execute("commit")
    notices = received(listener, conn)
    assert sorted((n["event"], n["global_asset_id"]) for n in notices if n["event"] == "global_version") == sorted(
        ("global_version", str(g)) for g in globals_
    )
    assert all(n["version"] == 2 for n in notices if n["event"] == "global_version")
    conflicts = [n for n in notices if n["event"] == "conflict"]
    assert len(conflicts) == 6 and {c["global_asset_id"] for c in conflicts} == {str(g) for g in globals_}
    assert all(c["fields"] == ["description"] and c["merged_fields"] == [] for c in conflicts)
    assert scalar(conn, "select count(*) from assetsync.notice_queue") == 0


def test_a_statement_that_versions_some_of_its_rows_announces_only_those(conn: Conn, listener: Conn) -> None:
    changed, same = new_global(conn, "Changed", description="x"), new_global(conn, "Same", description="x")
    received(listener, conn)
    conn.execute(
        "update global_assets set description = case when id = %s then 'y' else description end where id = any(%s)",
        [changed, [changed, same]],
    )
    assert received(listener, conn) == [{"event": "global_version", "global_asset_id": str(changed), "version": 2}]
    conn.execute("insert into global_assets (name, asset_type) values ('A', 'prop'), ('B', 'prop')")
    assert [(n["event"], n["version"]) for n in received(listener, conn)] == [("global_version", 1)] * 2


def test_a_10000_copy_fan_out_makes_one_summary(conn: Conn, listener: Conn) -> None:
    project = new_project(conn)
    g = new_global(conn, "Crowd", description="x")
    conn.execute(
        "insert into project_assets (project_id, name, asset_type, description, global_asset_id)"
        " select %s, 'Crowd', 'character', 'local ' || i, %s from generate_series(1, 10000) as i",
        [project, g],
    )
    received(listener, conn)
    conn.execute("begin")
    update(conn, "global_assets", g, description="y")
    assert scalar(conn, "select sync_global_asset(%s)", [g]) == 10000
    conn.execute("commit")
    assert received(listener, conn) == [
        {"event": "global_version", "global_asset_id": str(g), "version": 2},
        {"event": "conflicts", "global_asset_id": str(g), "count": 10000},
    ]


def test_previews_and_pushes_send_exactly_their_notices(conn: Conn, listener: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    received(listener, conn)
    assert conn.execute("select count(*) from preview_sync_global_asset(%s)", [john.global_asset]).fetchone()
    assert conn.execute(
        "select count(*) from preview_global_asset_change(%s, %s)", [john.global_asset, '{"name": "Jack"}']
    ).fetchone()
    assert received(listener, conn) == []  # a preview sends nothing
    assert scalar(conn, "select push_project_asset_fields(%s)", [john.copy]) == 3
    assert received(listener, conn) == [
        {"event": "global_version", "global_asset_id": str(john.global_asset), "version": 3}
    ]


def test_a_payload_too_long_for_notify_gives_field_count(conn: Conn, listener: Conn) -> None:
    names = [f"f{i:03d}_" + "x" * 58 for i in range(125)]  # 63-byte names: the field lists exceed 8000 bytes
    for table in ("project_assets", "global_assets"):
        conn.execute(f"alter table {table} " + ", ".join(f"add column {n} text" for n in names))
    conn.execute("select asset_sync_refresh()")
    john = john_doe(conn)
    conn.execute(
        "update project_assets set " + ", ".join(f"{n} = 'local'" for n in names) + " where id = %s", [john.copy]
    )
    conn.execute(
        "update global_assets set " + ", ".join(f"{n} = 'global'" for n in names) + " where id = %s",
        [john.global_asset],
    )
    received(listener, conn)
    sync(conn, john.copy)
    assert received(listener, conn) == [
        {
            "event": "conflict", "project_asset_id": str(john.copy), "project_id": str(john.project),
            "global_asset_id": str(john.global_asset), "field_count": 125,
        }
    ]
