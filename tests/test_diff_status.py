"""project_asset_diff (the "Update from Global" preview) and the view project_asset_sync_status.

The diff has one row per synced field in column order with local, global and base values as jsonb, and
the first state that applies: conflict, in_sync, will_update, overridden. The view says where each
project asset stands: local, detached, conflict, behind or up_to_date.

Most tests share one migrated database per module (a fresh one costs ~0.4 s) and make their own rows;
the tests that add a column use conftest's isolated conn.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from psycopg.rows import dict_row

from story import BLACK_HAIR, CLEAN, GREY, LOCAL_IMAGE, TORN, JohnDoe, john_doe
from support import (
    Conn,
    clone,
    new_global,
    new_project,
    new_project_asset,
    project_asset,
    sync,
    tables_snapshot,
    update,
)

CAPSULE_1 = UUID("00000000-0000-4000-8000-000000000001")
CAPSULE_2 = UUID("00000000-0000-4000-8000-000000000002")
DIFF_COLUMNS = ["field", "local_value", "global_value", "base_value", "overridden", "state"]


@pytest.fixture
def john(db: Conn) -> JohnDoe:
    """A copy at v1 whose fields, with the global at v2, are in every pre-sync state.

    name: overridden, and the global changed it to the same value (in_sync). asset_type: untouched
    (in_sync). description: overridden, and the global changed it to another value (conflict).
    image_key_url: overridden, global unchanged (overridden). visual_style_capsule_id: not overridden,
    global changed it (will_update).
    """
    john = john_doe(db, visual_style_capsule_id=CAPSULE_1)
    update(db, "project_assets", john.copy, name="Johnny", description=TORN, image_key_url=LOCAL_IMAGE)
    update(db, "global_assets", john.global_asset, name="Johnny", description=GREY, visual_style_capsule_id=CAPSULE_2)
    return john


def diff(db: Conn, project_asset_id: UUID) -> list[dict[str, Any]]:
    with db.cursor(row_factory=dict_row) as cur:
        cur.execute("select * from project_asset_diff(%s)", [project_asset_id])
        assert [column.name for column in cur.description or []] == DIFF_COLUMNS
        return cur.fetchall()


def states(db: Conn, project_asset_id: UUID) -> dict[str, str]:
    return {row["field"]: row["state"] for row in diff(db, project_asset_id)}


def status(db: Conn, project_asset_id: UUID) -> dict[str, Any]:
    with db.cursor(row_factory=dict_row) as cur:
        cur.execute("select * from project_asset_sync_status where project_asset_id = %s", [project_asset_id])
        rows = cur.fetchall()
    assert len(rows) == 1
    return rows[0]


# -- project_asset_diff ------------------------------------------------------------------------------------------


def test_diff_has_one_row_per_synced_field_in_column_order_with_jsonb_values(db: Conn, john: JohnDoe) -> None:
    assert diff(db, john.copy) == [
        {
            "field": "name",
            "local_value": "Johnny",
            "global_value": "Johnny",
            "base_value": "John Doe",
            "overridden": True,
            "state": "in_sync",
        },
        {
            "field": "asset_type",
            "local_value": "character",
            "global_value": "character",
            "base_value": "character",
            "overridden": False,
            "state": "in_sync",
        },
        {
            "field": "description",
            "local_value": TORN,
            "global_value": GREY,
            "base_value": CLEAN,
            "overridden": True,
            "state": "conflict",
        },
        {
            "field": "image_key_url",
            "local_value": LOCAL_IMAGE,
            "global_value": BLACK_HAIR,
            "base_value": BLACK_HAIR,
            "overridden": True,
            "state": "overridden",
        },
        {
            "field": "visual_style_capsule_id",
            "local_value": str(CAPSULE_1),
            "global_value": str(CAPSULE_2),
            "base_value": str(CAPSULE_1),
            "overridden": False,
            "state": "will_update",
        },
    ]


def test_diff_values_are_jsonb(db: Conn, john: JohnDoe) -> None:
    row = db.execute(
        """
        select pg_typeof(local_value)::text, pg_typeof(global_value)::text, pg_typeof(base_value)::text,
               global_value = to_jsonb(%s::uuid)
        from project_asset_diff(%s)
        where field = 'visual_style_capsule_id'
        """,
        [CAPSULE_2, john.copy],
    ).fetchone()
    assert row == ("jsonb", "jsonb", "jsonb", True)


def test_diff_state_conflict_via_overridden_global_changed_and_differs(db: Conn, john: JohnDoe) -> None:
    assert project_asset(db, john.copy)["sync_conflicts"] == {}  # no entry yet: the three-way rule alone
    assert states(db, john.copy)["description"] == "conflict"


def test_diff_state_conflict_via_an_entry_when_the_global_is_unchanged_since_base(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)  # records the entry; base is now v2, equal to the global
    row = next(r for r in diff(db, john.copy) if r["field"] == "description")
    assert (row["base_value"], row["global_value"], row["local_value"]) == (GREY, GREY, TORN)
    assert row["state"] == "conflict"


def test_diff_state_is_overridden_once_the_conflict_is_kept_local(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)
    db.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", [john.copy])
    assert states(db, john.copy)["description"] == "overridden"


def test_diff_state_in_sync_wins_over_overridden_when_local_equals_global(db: Conn, john: JohnDoe) -> None:
    row = next(r for r in diff(db, john.copy) if r["field"] == "name")
    assert (row["overridden"], row["state"]) == (True, "in_sync")


def test_diff_state_will_update_becomes_in_sync_after_the_sync(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)
    assert states(db, john.copy) == {
        "name": "in_sync",
        "asset_type": "in_sync",
        "description": "conflict",
        "image_key_url": "overridden",
        "visual_style_capsule_id": "in_sync",
    }


def test_diff_null_values_compare_equal(db: Conn) -> None:
    global_id = new_global(db, "Nobody")
    copy_id = clone(db, global_id, new_project(db))
    row = next(r for r in diff(db, copy_id) if r["field"] == "description")
    assert (row["local_value"], row["global_value"], row["base_value"], row["state"]) == (None, None, None, "in_sync")


def test_diff_changes_nothing(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)
    update(db, "global_assets", john.global_asset, description="a tall man in a blue suit")
    before = tables_snapshot(db)
    diff(db, john.copy)
    assert tables_snapshot(db) == before


# -- project_asset_sync_status ---------------------------------------------------------------------------------------


def test_status_local_for_a_never_linked_asset(db: Conn) -> None:
    project = new_project(db)
    local = new_project_asset(db, project)
    assert status(db, local) == {
        "project_asset_id": local,
        "project_id": project,
        "global_asset_id": None,
        "global_version": None,
        "latest_version": None,
        "versions_behind": None,
        "overridden_fields": [],
        "conflict_fields": [],
        "state": "local",
    }


def test_status_detached_after_the_client_unlinks(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)  # v2, with a conflict on description
    update(db, "global_assets", john.global_asset, name="John Doe")  # v3: it was behind, too
    update(db, "project_assets", john.copy, global_asset_id=None)
    row = status(db, john.copy)
    assert row["state"] == "detached"
    assert (row["global_asset_id"], row["global_version"]) == (None, 2)
    assert (row["latest_version"], row["versions_behind"]) == (None, None)
    assert row["overridden_fields"] == ["name", "description", "image_key_url"]
    assert row["conflict_fields"] is not None


def test_status_detached_after_the_global_is_deleted(db: Conn, john: JohnDoe) -> None:
    db.execute("delete from global_assets where id = %s", [john.global_asset])
    row = status(db, john.copy)
    assert row["state"] == "detached"
    assert (row["global_asset_id"], row["global_version"]) == (None, 1)
    assert (row["latest_version"], row["versions_behind"]) == (None, None)
    assert row["conflict_fields"] == []


def test_status_conflict_lists_conflict_fields_in_column_order(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, name="Jon")  # differs again from the global's Johnny
    sync(db, john.copy)
    row = status(db, john.copy)
    assert row["state"] == "conflict"
    assert row["conflict_fields"] == ["name", "description"]  # not alphabetical
    assert (row["global_version"], row["latest_version"], row["versions_behind"]) == (2, 2, 0)


def test_status_conflict_wins_over_behind(db: Conn, john: JohnDoe) -> None:
    sync(db, john.copy)
    update(db, "global_assets", john.global_asset, asset_type="prop")
    row = status(db, john.copy)
    assert row["state"] == "conflict"
    assert (row["latest_version"], row["versions_behind"]) == (3, 1)


def test_status_behind_counts_the_versions_behind(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, asset_type="prop")  # v3
    row = status(db, john.copy)
    assert row["state"] == "behind"
    assert (row["global_version"], row["latest_version"], row["versions_behind"]) == (1, 3, 2)
    assert row["conflict_fields"] == []


def test_status_up_to_date_after_a_sync_without_conflicts(db: Conn) -> None:
    global_id = new_global(db, "Jane Doe")
    copy_id = clone(db, global_id, new_project(db))
    assert status(db, copy_id)["state"] == "up_to_date"
    update(db, "global_assets", global_id, description=GREY)
    sync(db, copy_id)
    row = status(db, copy_id)
    assert row["state"] == "up_to_date"
    assert (row["global_version"], row["latest_version"], row["versions_behind"]) == (2, 2, 0)
    assert row["conflict_fields"] == []


def test_status_has_one_row_per_project_asset_with_ids(db: Conn, john: JohnDoe) -> None:
    row = status(db, john.copy)
    assert (row["project_asset_id"], row["project_id"], row["global_asset_id"]) == (
        john.copy,
        john.project,
        john.global_asset,
    )
    assert db.execute("select pg_typeof(conflict_fields)::text from project_asset_sync_status limit 1").fetchone() == (
        "text[]",
    )


# -- column order where jsonb key order differs ----------------------------------------------------------------------


def add_synced_column_mood(conn: Conn) -> None:
    """A short column added last: jsonb orders keys by length, so it would come before "name" there."""
    conn.execute("alter table project_assets add column mood text")
    conn.execute("alter table global_assets add column mood text")
    conn.execute("select asset_sync_refresh()")


def test_status_conflict_fields_follow_column_order_not_jsonb_key_order(conn: Conn) -> None:
    add_synced_column_mood(conn)
    global_id = new_global(conn, "John Doe", mood="calm")
    copy_id = clone(conn, global_id, new_project(conn))
    update(conn, "project_assets", copy_id, name="Jon", mood="angry")
    update(conn, "global_assets", global_id, name="Johnny", mood="sad")
    report = conn.execute("select sync_project_asset(%s)", [copy_id]).fetchone()
    assert report is not None
    assert report[0]["conflict_fields"] == ["name", "mood"]
    assert report[0]["kept_fields"] == ["name", "mood"]
    assert status(conn, copy_id)["conflict_fields"] == ["name", "mood"]
    assert [row["field"] for row in diff(conn, copy_id)] == [
        "name",
        "asset_type",
        "description",
        "image_key_url",
        "visual_style_capsule_id",
        "mood",
    ]
