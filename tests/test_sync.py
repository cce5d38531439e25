"""sync_project_asset, sync_global_asset and sync_project: the override-aware three-way pull.

Base = the snapshot at the copy's global_version, local = the project copy, global = the library asset now.
A field not overridden takes the global value; an overridden one keeps its local value, and when the
global changed it since base to a value that differs from local, sync_conflicts records a conflict.

The tests share one migrated database per module (a fresh one costs ~0.4 s) and each makes its own rows;
the test that adds a column uses conftest's isolated conn. Concurrency tests open their own clients and
prove a wait through pg_stat_activity and pg_locks, never by sleeping.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from story import BLACK_HAIR, BLUE, CLEAN, GREY, RED_HAIR, TORN, JohnDoe, john_doe
from support import (
    Conn,
    clone,
    global_asset,
    new_global,
    new_project,
    new_project_asset,
    project_asset,
    scalar,
    sync,
    update,
)

REPORT_KEYS = {
    "project_asset_id",
    "global_asset_id",
    "from_version",
    "to_version",
    "status",
    "updated_fields",
    "kept_fields",
    "conflict_fields",
    "merged_fields",
}


def conflicts(db: Conn, project_asset_id: UUID) -> dict[str, Any]:
    return project_asset(db, project_asset_id)["sync_conflicts"]


@pytest.fixture
def john(db: Conn) -> JohnDoe:
    """Global "John Doe" (version 1, clean suit) cloned into Project A, nothing overridden yet."""
    return john_doe(db)


@pytest.fixture
def torn(db: Conn, john: JohnDoe) -> JohnDoe:
    """The story up to the sync: Project A tore the suit, the library gave red hair and a grey suit (v2)."""
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR, description=GREY)
    return john


@pytest.fixture
def in_conflict(db: Conn, torn: JohnDoe) -> JohnDoe:
    """The story after the sync: a conflict on description recorded at version 2."""
    sync(db, torn.copy)
    return torn


# -- the story ---------------------------------------------------------------------------------------------


def test_john_doe_story_takes_the_image_keeps_the_torn_suit_and_records_the_conflict(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    assert project_asset(db, john.copy)["overridden_fields"] == ["description"]
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR, description=GREY)
    assert global_asset(db, john.global_asset)["version"] == 2

    report = sync(db, john.copy)

    row = project_asset(db, john.copy)
    assert row["image_key_url"] == RED_HAIR
    assert row["description"] == TORN
    assert row["overridden_fields"] == ["description"]
    assert row["global_version"] == 2
    assert set(row["sync_conflicts"]) == {"description"}
    entry = row["sync_conflicts"]["description"]
    assert set(entry) == {"base", "local", "global", "global_version", "detected_at"}
    assert (entry["base"], entry["local"], entry["global"], entry["global_version"]) == (CLEAN, TORN, GREY, 2)
    assert datetime.fromisoformat(entry["detected_at"]) == row["last_synced_at"]
    assert report == {
        "project_asset_id": str(john.copy),
        "global_asset_id": str(john.global_asset),
        "from_version": 1,
        "to_version": 2,
        "status": "synced",
        "updated_fields": ["image_key_url"],
        "kept_fields": ["description"],
        "conflict_fields": ["description"],
        "merged_fields": [],
    }
    # The library asset itself is untouched by a sync.
    assert global_asset(db, john.global_asset)["description"] == GREY
    assert global_asset(db, john.global_asset)["version"] == 2


def test_sync_sets_last_synced_at_to_now(db: Conn, torn: JohnDoe) -> None:
    before = project_asset(db, torn.copy)["last_synced_at"]
    with db.transaction():
        sync(db, torn.copy)
        now = scalar(db, "select now()")
    assert project_asset(db, torn.copy)["last_synced_at"] == now
    assert now > before


def test_sync_writes_mark_nothing_as_overridden(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, name="John Q. Doe", description=GREY)
    report = sync(db, john.copy)
    assert report["updated_fields"] == ["name", "description"]
    assert project_asset(db, john.copy)["overridden_fields"] == []


# -- the report ----------------------------------------------------------------------------------------------


def test_report_has_exactly_the_contract_keys(db: Conn, torn: JohnDoe) -> None:
    assert set(sync(db, torn.copy)) == REPORT_KEYS
    assert set(sync(db, torn.copy)) == REPORT_KEYS  # up_to_date reports have the same shape


def test_updated_fields_are_the_fields_whose_value_changed_in_column_order(db: Conn, john: JohnDoe) -> None:
    # image changed and changed back: the version moved twice, the value did not.
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    update(db, "global_assets", john.global_asset, image_key_url=BLACK_HAIR)
    capsule = uuid4()
    update(db, "global_assets", john.global_asset, visual_style_capsule_id=capsule, name="Johnny", description=None)
    report = sync(db, john.copy)
    assert report["updated_fields"] == ["name", "description", "visual_style_capsule_id"]
    assert (report["from_version"], report["to_version"]) == (1, 4)
    row = project_asset(db, john.copy)
    assert (row["name"], row["description"], row["visual_style_capsule_id"]) == ("Johnny", None, capsule)


def test_kept_fields_list_every_overridden_field_in_column_order(db: Conn, john: JohnDoe) -> None:
    # Overridden in the reverse of column order; only description is also changed by the library.
    update(db, "project_assets", john.copy, visual_style_capsule_id=uuid4())
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "project_assets", john.copy, name="Jon")
    assert project_asset(db, john.copy)["overridden_fields"] == ["visual_style_capsule_id", "description", "name"]
    update(db, "global_assets", john.global_asset, description=GREY)
    report = sync(db, john.copy)
    assert report["kept_fields"] == ["name", "description", "visual_style_capsule_id"]
    assert report["conflict_fields"] == ["description"]
    assert report["updated_fields"] == []


def test_kept_fields_include_an_overridden_field_whose_local_value_equals_the_global(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=GREY)
    update(db, "global_assets", john.global_asset, description=GREY)
    report = sync(db, john.copy)
    assert report["kept_fields"] == ["description"]
    assert report["updated_fields"] == []
    assert report["conflict_fields"] == []


def test_conflict_fields_are_only_the_entries_this_call_wrote(db: Conn, in_conflict: JohnDoe) -> None:
    update(db, "project_assets", in_conflict.copy, name="Jon")
    update(db, "global_assets", in_conflict.global_asset, name="Johnny")  # v3: conflict on name only
    report = sync(db, in_conflict.copy)
    assert report["conflict_fields"] == ["name"]
    assert set(conflicts(db, in_conflict.copy)) == {"name", "description"}


def test_status_is_up_to_date_right_after_clone(db: Conn, john: JohnDoe) -> None:
    report = sync(db, john.copy)
    assert report["status"] == "up_to_date"
    assert (report["from_version"], report["to_version"]) == (1, 1)
    assert report["updated_fields"] == report["kept_fields"] == report["conflict_fields"] == []


def test_status_is_up_to_date_on_a_repeated_sync_with_an_open_conflict(db: Conn, in_conflict: JohnDoe) -> None:
    report = sync(db, in_conflict.copy)
    assert report["status"] == "up_to_date"
    assert report["kept_fields"] == ["description"]
    assert report["conflict_fields"] == []


def test_status_is_synced_when_the_version_moved_even_if_no_value_changed(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, description=GREY)
    update(db, "global_assets", john.global_asset, description=CLEAN)
    report = sync(db, john.copy)
    assert (report["status"], report["from_version"], report["to_version"]) == ("synced", 1, 3)
    assert report["updated_fields"] == []


def test_status_is_synced_when_versions_are_equal_but_an_unprotected_field_is_pulled(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    db.execute(
        "update project_assets set overridden_fields = array_remove(overridden_fields, 'description') where id = %s",
        [john.copy],
    )
    report = sync(db, john.copy)
    assert (report["status"], report["from_version"], report["to_version"]) == ("synced", 1, 1)
    assert report["updated_fields"] == ["description"]
    assert report["kept_fields"] == []
    assert project_asset(db, john.copy)["description"] == CLEAN


# -- the three-way rule ----------------------------------------------------------------------------------------


def test_no_conflict_when_the_global_did_not_change_the_overridden_field(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    report = sync(db, john.copy)
    assert report["conflict_fields"] == []
    assert report["kept_fields"] == ["description"]
    row = project_asset(db, john.copy)
    assert (row["description"], row["image_key_url"], row["sync_conflicts"]) == (TORN, RED_HAIR, {})


def test_no_conflict_when_the_global_changed_to_the_local_value(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, description=TORN)
    report = sync(db, john.copy)
    assert report["conflict_fields"] == []
    assert conflicts(db, john.copy) == {}


def test_an_open_conflict_is_dropped_when_the_global_changes_to_the_local_value(db: Conn, in_conflict: JohnDoe) -> None:
    update(db, "global_assets", in_conflict.global_asset, description=TORN)
    report = sync(db, in_conflict.copy)
    assert report["conflict_fields"] == []
    row = project_asset(db, in_conflict.copy)
    assert row["sync_conflicts"] == {}
    assert row["overridden_fields"] == ["description"]
    assert row["description"] == TORN


def test_an_open_conflict_is_dropped_when_the_client_sets_the_local_value_to_the_global(
    db: Conn, in_conflict: JohnDoe
) -> None:
    update(db, "project_assets", in_conflict.copy, description=GREY)
    sync(db, in_conflict.copy)
    assert conflicts(db, in_conflict.copy) == {}


def test_a_conflict_entry_is_replaced_by_a_newer_global_change(db: Conn, in_conflict: JohnDoe) -> None:
    old_entry = conflicts(db, in_conflict.copy)["description"]
    update(db, "global_assets", in_conflict.global_asset, description=BLUE)  # v3
    report = sync(db, in_conflict.copy)
    assert report["conflict_fields"] == ["description"]
    entry = conflicts(db, in_conflict.copy)["description"]
    # base is the snapshot at the version last pulled (2), not the one the first conflict saw.
    assert (entry["base"], entry["local"], entry["global"], entry["global_version"]) == (GREY, TORN, BLUE, 3)
    assert datetime.fromisoformat(entry["detected_at"]) > datetime.fromisoformat(old_entry["detected_at"])


def test_a_conflict_entry_stays_on_a_sync_that_brings_no_new_change_to_its_field(
    db: Conn, in_conflict: JohnDoe
) -> None:
    before = conflicts(db, in_conflict.copy)
    update(db, "global_assets", in_conflict.global_asset, name="Johnny")  # v3, description unchanged
    report = sync(db, in_conflict.copy)
    assert report["status"] == "synced"
    assert report["conflict_fields"] == []
    assert report["updated_fields"] == ["name"]
    assert conflicts(db, in_conflict.copy) == before  # same entry, same global_version and detected_at
    assert project_asset(db, in_conflict.copy)["global_version"] == 3


def test_a_conflict_entry_is_dropped_when_the_client_unprotects_the_field(db: Conn, in_conflict: JohnDoe) -> None:
    db.execute("update project_assets set overridden_fields = '{}' where id = %s", [in_conflict.copy])
    assert set(conflicts(db, in_conflict.copy)) == {"description"}  # until the next sync
    report = sync(db, in_conflict.copy)
    assert report["updated_fields"] == ["description"]
    assert report["kept_fields"] == []
    assert report["status"] == "synced"
    row = project_asset(db, in_conflict.copy)
    assert (row["description"], row["sync_conflicts"], row["overridden_fields"]) == (GREY, {}, [])


def test_no_conflict_when_the_global_changed_the_field_and_back_since_base(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, description=GREY)
    update(db, "global_assets", john.global_asset, description=CLEAN)  # v3 equals the base again
    report = sync(db, john.copy)
    assert (report["to_version"], report["conflict_fields"]) == (3, [])
    assert conflicts(db, john.copy) == {}


def test_a_conflict_on_a_uuid_field_records_its_values_as_json_strings(db: Conn, john: JohnDoe) -> None:
    local, remote = uuid4(), uuid4()
    update(db, "project_assets", john.copy, visual_style_capsule_id=local)
    update(db, "global_assets", john.global_asset, visual_style_capsule_id=remote)
    assert sync(db, john.copy)["conflict_fields"] == ["visual_style_capsule_id"]
    entry = conflicts(db, john.copy)["visual_style_capsule_id"]
    assert (entry["base"], entry["local"], entry["global"], entry["global_version"]) == (
        None,
        str(local),
        str(remote),
        2,
    )


def test_a_json_field_is_compared_as_jsonb(conn: Conn) -> None:
    """Own database: it adds a json column to both tables (conftest's isolated conn)."""
    conn.execute("alter table project_assets add column traits json")
    conn.execute("alter table global_assets add column traits json")
    conn.execute("select asset_sync_refresh()")
    global_id = new_global(conn, "John Doe", traits='{"a": 1}')
    copy_id = clone(conn, global_id, new_project(conn))
    update(conn, "project_assets", copy_id, traits='{"b":2,  "c": [1,2]}')
    update(conn, "global_assets", global_id, traits='{"c": [1, 2], "b": 2}')  # the same as jsonb, not as text
    report = sync(conn, copy_id)
    assert report["kept_fields"] == ["traits"]
    assert report["conflict_fields"] == []
    assert conflicts(conn, copy_id) == {}


def test_a_base_version_that_no_longer_exists_counts_as_null(db: Conn, john: JohnDoe) -> None:
    # With base = version 1 (clean suit) there would be no conflict: the global did not change description.
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    delete_version(db, john.global_asset, 1)
    report = sync(db, john.copy)
    assert report["conflict_fields"] == ["description"]
    entry = conflicts(db, john.copy)["description"]
    assert "base" in entry
    assert (entry["base"], entry["local"], entry["global"]) == (None, TORN, CLEAN)


def test_a_field_missing_from_the_base_snapshot_counts_as_null(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN, image_key_url="local.png")
    update(db, "global_assets", john.global_asset, name="Johnny")
    edit_snapshot(db, john.global_asset, 1, "snapshot - 'description' - 'image_key_url'")
    update(db, "global_assets", john.global_asset, image_key_url=None)  # global NULL = missing base: no conflict
    report = sync(db, john.copy)
    assert report["conflict_fields"] == ["description"]
    assert conflicts(db, john.copy)["description"]["base"] is None
    assert report["kept_fields"] == ["description", "image_key_url"]


def delete_version(db: Conn, global_asset_id: UUID, version: int) -> None:
    """Remove a history row behind the append-only trigger's back (superuser, replica role)."""
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        db.execute(
            "delete from global_asset_versions where global_asset_id = %s and version = %s", [global_asset_id, version]
        )


def edit_snapshot(db: Conn, global_asset_id: UUID, version: int, expression: str) -> None:
    """Rewrite a history row behind the append-only trigger's back; expression is trusted test text."""
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        db.execute(
            f"update global_asset_versions set snapshot = {expression} where global_asset_id = %s and version = %s",  # type: ignore[arg-type]
            [global_asset_id, version],
        )


# -- NULL transitions ---------------------------------------------------------------------------------------------


def test_a_global_change_to_null_is_pulled(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, description=None)
    report = sync(db, john.copy)
    assert report["updated_fields"] == ["description"]
    assert project_asset(db, john.copy)["description"] is None


def test_a_global_change_from_null_to_a_value_is_pulled(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, description=None)
    sync(db, john.copy)
    update(db, "global_assets", john.global_asset, description=GREY)
    report = sync(db, john.copy)
    assert report["updated_fields"] == ["description"]
    assert project_asset(db, john.copy)["description"] == GREY


def test_null_local_and_null_global_are_equal_no_conflict(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=None)
    update(db, "global_assets", john.global_asset, description=None)
    report = sync(db, john.copy)
    assert report["conflict_fields"] == []
    assert report["updated_fields"] == []
    assert report["kept_fields"] == ["description"]
    assert conflicts(db, john.copy) == {}


def test_a_global_change_to_null_against_a_local_value_is_a_conflict_with_global_null(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "global_assets", john.global_asset, description=None)
    report = sync(db, john.copy)
    assert report["conflict_fields"] == ["description"]
    entry = conflicts(db, john.copy)["description"]
    assert "global" in entry
    assert (entry["base"], entry["local"], entry["global"]) == (CLEAN, TORN, None)


# -- fan-out: sync_global_asset -------------------------------------------------------------------------------------


def test_sync_global_asset_counts_every_linked_copy_it_visits_including_up_to_date_ones(
    db: Conn, john: JohnDoe
) -> None:
    other_project = new_project(db, "Project B")
    behind = clone(db, john.global_asset, other_project)
    update(db, "global_assets", john.global_asset, description=GREY)
    up_to_date = clone(db, john.global_asset, other_project)
    detached = clone(db, john.global_asset, other_project)
    update(db, "project_assets", detached, global_asset_id=None)
    new_project_asset(db, other_project, "John Doe", "character")
    other_copy = clone(db, new_global(db, "Jane Doe"), other_project)
    stamps = {pa: project_asset(db, pa)["last_synced_at"] for pa in (john.copy, behind, up_to_date, other_copy)}
    detached_before = project_asset(db, detached)

    assert scalar(db, "select sync_global_asset(%s)", [john.global_asset]) == 3
    for pa in (john.copy, behind, up_to_date):
        row = project_asset(db, pa)
        assert (row["global_version"], row["description"]) == (2, GREY)
        assert row["last_synced_at"] > stamps[pa]  # visited, even when it was up to date
    assert project_asset(db, other_copy)["last_synced_at"] == stamps[other_copy]
    assert project_asset(db, detached) == detached_before
    assert scalar(db, "select sync_global_asset(%s)", [john.global_asset]) == 3


def test_sync_global_asset_of_a_global_without_copies_returns_zero(db: Conn) -> None:
    assert scalar(db, "select sync_global_asset(%s)", [new_global(db, "Nobody")]) == 0


def build_fleet(db: Conn, global_id: UUID, projects: list[UUID], sync_one: Callable[[UUID], Any]) -> dict[UUID, UUID]:
    """50 copies of one global, one per project, with overrides, old conflicts and up-to-date copies.

    Returns project id -> copy id. Deterministic, so two globals given the same fleet end up alike.
    """
    copies = {project: clone(db, global_id, project) for project in projects[:40]}
    for i, project in enumerate(projects[:40]):
        if i % 3 == 0:
            update(db, "project_assets", copies[project], description=f"local suit {i}")
        if i % 5 == 1:
            update(db, "project_assets", copies[project], image_key_url=f"https://img.example/local-{i}.png")
        if i % 7 == 2:
            update(db, "project_assets", copies[project], description=GREY)
    update(db, "global_assets", global_id, description=GREY)  # v2
    for i, project in enumerate(projects[:40]):
        if i % 4 == 0:
            sync_one(copies[project])  # some copies carry conflicts from version 2
    update(db, "global_assets", global_id, name="John Q. Doe", image_key_url=RED_HAIR)  # v3
    for i, project in enumerate(projects[40:]):
        copies[project] = clone(db, global_id, project)  # up to date at v3
        if i % 2 == 0:
            update(db, "project_assets", copies[project], name=f"local name {i}")
    return copies


def comparable(db: Conn, project_asset_id: UUID) -> dict[str, Any]:
    """A copy without what must differ between two fleets: ids, its global and the timestamps."""
    row = project_asset(db, project_asset_id)
    for key in ("id", "global_asset_id", "created_at", "updated_at", "last_synced_at"):
        del row[key]
    row["sync_conflicts"] = {
        field: {k: v for k, v in entry.items() if k != "detected_at"} for field, entry in row["sync_conflicts"].items()
    }
    return row


def test_sync_global_asset_over_fifty_projects_equals_syncing_each_copy_alone(db: Conn) -> None:
    projects = [new_project(db, f"Project {i}") for i in range(50)]
    fanned_global = new_global(db, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    single_global = new_global(db, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    fanned = build_fleet(db, fanned_global, projects, lambda pa: sync(db, pa))
    single = build_fleet(db, single_global, projects, lambda pa: sync(db, pa))

    assert scalar(db, "select sync_global_asset(%s)", [fanned_global]) == 50
    reports = [sync(db, single[project]) for project in projects]

    assert {r["status"] for r in reports} == {"synced", "up_to_date"}  # the fleet covers both
    assert any(r["conflict_fields"] for r in reports)
    for project in projects:
        assert comparable(db, fanned[project]) == comparable(db, single[project]), f"copy in project {project}"
    rows = [project_asset(db, fanned[project]) for project in projects]
    assert {row["global_version"] for row in rows} == {3}
    assert sum(1 for row in rows if "description" in row["sync_conflicts"]) >= 5
    assert sum(1 for row in rows if "image_key_url" in row["sync_conflicts"]) >= 5
    assert sum(1 for row in rows if row["overridden_fields"] == []) >= 10


# -- sync_project ---------------------------------------------------------------------------------------------------


def test_sync_project_syncs_only_the_linked_assets_that_are_behind_and_counts_them(db: Conn, john: JohnDoe) -> None:
    jane = new_global(db, "Jane Doe", description="a short woman")
    prop = new_global(db, "Umbrella", asset_type="prop")
    jane_copy = clone(db, jane, john.project)
    prop_copy = clone(db, prop, john.project)  # stays up to date
    detached = clone(db, jane, john.project)
    update(db, "project_assets", detached, global_asset_id=None)
    other_project_copy = clone(db, jane, new_project(db, "Project B"))
    update(db, "global_assets", john.global_asset, description=GREY)
    update(db, "global_assets", jane, description="a tall woman")
    update(db, "global_assets", jane, image_key_url=RED_HAIR)
    untouched = {pa: project_asset(db, pa) for pa in (prop_copy, detached, other_project_copy)}

    assert scalar(db, "select sync_project(%s)", [john.project]) == 2

    assert project_asset(db, john.copy)["global_version"] == 2
    assert project_asset(db, john.copy)["description"] == GREY
    assert (project_asset(db, jane_copy)["global_version"], project_asset(db, jane_copy)["description"]) == (
        3,
        "a tall woman",
    )
    for pa, row in untouched.items():
        assert project_asset(db, pa) == row
    assert scalar(db, "select sync_project(%s)", [john.project]) == 0


def test_sync_project_leaves_an_up_to_date_asset_alone_even_with_an_unprotected_field(db: Conn, john: JohnDoe) -> None:
    update(db, "project_assets", john.copy, description=TORN)
    db.execute("update project_assets set overridden_fields = '{}' where id = %s", [john.copy])
    assert scalar(db, "select sync_project(%s)", [john.project]) == 0
    assert project_asset(db, john.copy)["description"] == TORN  # only sync_project_asset would pull it


def test_sync_project_of_a_project_without_assets_returns_zero(db: Conn) -> None:
    assert scalar(db, "select sync_project(%s)", [new_project(db, "Empty")]) == 0


def test_a_client_update_after_a_sync_in_the_same_transaction_is_tracked(db: Conn, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    with db.transaction():
        sync(db, john.copy)
        update(db, "project_assets", john.copy, description=TORN)
    row = project_asset(db, john.copy)
    assert (row["image_key_url"], row["description"]) == (RED_HAIR, TORN)
    assert row["overridden_fields"] == ["description"]


# -- concurrency ---------------------------------------------------------------------------------------------------

POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 10.0


def wait_until_blocked(monitor: Conn, waiter_pid: int, blocker_pid: int) -> None:
    """Poll (bounded) until waiter_pid waits on a lock held by blocker_pid; fail when it never does."""
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        row = monitor.execute(
            """
            select a.wait_event_type,
                   %(blocker)s = any(pg_blocking_pids(a.pid)),
                   exists (select from pg_locks as l where l.pid = a.pid and not l.granted)
            from pg_stat_activity as a
            where a.pid = %(waiter)s
            """,
            {"waiter": waiter_pid, "blocker": blocker_pid},
        ).fetchone()
        if row is not None and row == ("Lock", True, True):
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"backend {waiter_pid} never waited for a lock held by backend {blocker_pid}")


@contextlib.contextmanager
def session(url: str, *, autocommit: bool) -> Iterator[Conn]:
    """Another client; closed (rolling back anything open) on the way out, so no waiter is left hanging."""
    connection = psycopg.connect(url, autocommit=autocommit)
    try:
        connection.execute("set statement_timeout = '20s'")
        if not autocommit:
            connection.commit()
        yield connection
    finally:
        connection.close()


def test_a_sync_waits_for_an_uncommitted_edit_and_keeps_it(db: Conn, shared_url: str, john: JohnDoe) -> None:
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR, description=GREY)
    with ThreadPoolExecutor(max_workers=1) as pool, session(shared_url, autocommit=True) as syncer:
        with session(shared_url, autocommit=False) as editor:
            editor.execute("update project_assets set description = %s where id = %s", [TORN, john.copy])
            pending = pool.submit(lambda: sync(syncer, john.copy))
            wait_until_blocked(db, syncer.info.backend_pid, editor.info.backend_pid)
            assert not pending.done()
            editor.commit()
        report = pending.result(timeout=WAIT_LIMIT_SECONDS)

    row = project_asset(db, john.copy)
    assert row["description"] == TORN
    assert row["overridden_fields"] == ["description"]
    assert row["image_key_url"] == RED_HAIR
    assert row["sync_conflicts"]["description"]["local"] == TORN
    assert report["kept_fields"] == ["description"]
    assert report["conflict_fields"] == ["description"]


def test_a_client_update_waits_for_an_open_sync_then_applies_on_top_and_is_tracked(
    db: Conn, shared_url: str, john: JohnDoe
) -> None:
    update(db, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    with ThreadPoolExecutor(max_workers=1) as pool, session(shared_url, autocommit=True) as editor:
        with session(shared_url, autocommit=False) as syncer:
            report = sync(syncer, john.copy)
            assert report["updated_fields"] == ["image_key_url"]
            pending = pool.submit(
                lambda: (
                    editor.execute(
                        "update project_assets set description = %s where id = %s", [TORN, john.copy]
                    ).rowcount
                ),
            )
            wait_until_blocked(db, editor.info.backend_pid, syncer.info.backend_pid)
            assert not pending.done()
            syncer.commit()
        assert pending.result(timeout=WAIT_LIMIT_SECONDS) == 1

    row = project_asset(db, john.copy)
    assert (row["image_key_url"], row["global_version"]) == (RED_HAIR, 2)
    assert row["description"] == TORN
    assert row["overridden_fields"] == ["description"]


def test_a_fan_out_sync_waits_for_an_uncommitted_edit_of_one_copy_and_keeps_it(
    db: Conn, shared_url: str, john: JohnDoe
) -> None:
    others = [clone(db, john.global_asset, new_project(db, f"Project {i}")) for i in range(3)]
    update(db, "global_assets", john.global_asset, description=GREY)
    with ThreadPoolExecutor(max_workers=1) as pool, session(shared_url, autocommit=True) as syncer:
        with session(shared_url, autocommit=False) as editor:
            editor.execute("update project_assets set description = %s where id = %s", [TORN, john.copy])
            pending = pool.submit(lambda: scalar(syncer, "select sync_global_asset(%s)", [john.global_asset]))
            wait_until_blocked(db, syncer.info.backend_pid, editor.info.backend_pid)
            editor.commit()
        assert pending.result(timeout=WAIT_LIMIT_SECONDS) == 4

    row = project_asset(db, john.copy)
    assert (row["description"], row["overridden_fields"], row["global_version"]) == (TORN, ["description"], 2)
    assert row["sync_conflicts"]["description"]["global"] == GREY
    assert all(project_asset(db, pa)["description"] == GREY for pa in others)


def test_a_sync_waiting_on_a_client_detach_fails_55000_once_it_commits(
    db: Conn, shared_url: str, john: JohnDoe
) -> None:
    update(db, "global_assets", john.global_asset, description=GREY)
    with ThreadPoolExecutor(max_workers=1) as pool, session(shared_url, autocommit=True) as syncer:
        with session(shared_url, autocommit=False) as editor:
            editor.execute("update project_assets set global_asset_id = null where id = %s", [john.copy])
            pending = pool.submit(lambda: sync(syncer, john.copy))
            wait_until_blocked(db, syncer.info.backend_pid, editor.info.backend_pid)
            editor.commit()
        with pytest.raises(psycopg.Error) as caught:
            pending.result(timeout=WAIT_LIMIT_SECONDS)
    assert caught.value.sqlstate == "55000"
    row = project_asset(db, john.copy)
    assert (row["global_asset_id"], row["global_version"], row["description"]) == (None, 1, CLEAN)
