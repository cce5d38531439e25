"""Linking project assets to global assets: by INSERT, by UPDATE of global_asset_id, by clone; and detaching.

Contract (Behaviour, Linking and Delete): linking records global_version (the global's current version) and
last_synced_at, clears sync_conflicts and marks as overridden exactly the synced fields that differ from the
global, in column order; when one UPDATE links and edits, linking wins; setting global_asset_id to NULL
detaches and keeps values, overridden_fields and global_version; deleting the global detaches its copies and
deletes its versions. Where the contract is silent, the column comments decide: a detached copy keeps its
sync_conflicts as a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR, TORN
from support import (
    SYNCED_FIELDS,
    Conn,
    clone,
    error_of,
    global_asset,
    new_global,
    new_project,
    new_project_asset,
    project_asset,
    scalar,
    sync,
    tables_snapshot,
    update,
    versions,
)

# One migrated database for the module, its tables emptied after each test (conftest: conn).
pytestmark = pytest.mark.shared_database


@dataclass
class Library:
    project: UUID
    john: UUID  # at version 2: "John Doe", character, GREY, BLACK_HAIR, no style capsule


@pytest.fixture
def library(conn: Conn) -> Library:
    project = new_project(conn)
    john = new_global(conn, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    update(conn, "global_assets", john, description=GREY)
    assert global_asset(conn, john)["version"] == 2
    return Library(project, john)


def synced_values(row: dict[str, Any]) -> dict[str, Any]:
    return {field: row[field] for field in SYNCED_FIELDS}


def status_of(conn: Conn, project_asset_id: UUID) -> str:
    return scalar(conn, "select state from project_asset_sync_status where project_asset_id = %s", [project_asset_id])


def with_conflict(conn: Conn, library: Library) -> UUID:
    """A copy of John with description overridden and an open conflict on it."""
    copy = clone(conn, library.john, library.project)
    update(conn, "project_assets", copy, description=TORN)
    update(conn, "global_assets", library.john, description="a tall man in a blue suit")
    sync(conn, copy)
    assert set(project_asset(conn, copy)["sync_conflicts"]) == {"description"}
    return copy


def test_insert_with_global_asset_id_links_the_row(conn: Conn, library: Library) -> None:
    with conn.transaction():
        copy = new_project_asset(
            conn, library.project, global_asset_id=library.john, name="John Doe", asset_type="character",
            description=GREY, image_key_url=BLACK_HAIR, sync_conflicts="{}",
        )  # fmt: skip
        now = scalar(conn, "select now()")
    row = project_asset(conn, copy)
    assert row["global_version"] == 2, "the global's current version"
    assert row["last_synced_at"] == now
    assert row["sync_conflicts"] == {}
    assert row["overridden_fields"] == [], "equal to the global: nothing overridden"
    assert status_of(conn, copy) == "up_to_date"

    edited = new_project_asset(
        conn, library.project, visual_style_capsule_id=uuid4(), image_key_url=None, description=TORN,
        asset_type="character", name="John Doe", global_asset_id=library.john, overridden_fields=["name"],
    )  # fmt: skip
    row = project_asset(conn, edited)
    assert row["overridden_fields"] == ["description", "image_key_url", "visual_style_capsule_id"], (
        "exactly the differing fields (value->NULL and NULL->value too), in column order; a client-given name "
        "whose value equals the global's is not kept"
    )
    assert row["description"] == TORN and row["image_key_url"] is None, "linking keeps the inserted values"


def test_update_setting_global_asset_id_links_a_local_row(conn: Conn, library: Library) -> None:
    local = new_project_asset(conn, library.project, name="Johnny", asset_type="character", description=GREY)
    update(conn, "project_assets", local, description=CLEAN)
    update(conn, "project_assets", local, description=GREY)
    assert project_asset(conn, local)["overridden_fields"] == ["description"], "a local asset is tracked too"
    with conn.transaction():
        update(conn, "project_assets", local, global_asset_id=library.john)
        now = scalar(conn, "select now()")
    row = project_asset(conn, local)
    assert row["global_version"] == 2
    assert row["last_synced_at"] == now
    assert row["sync_conflicts"] == {}
    assert row["overridden_fields"] == ["name", "image_key_url"], "exactly the fields that differ, column order"
    assert row["name"] == "Johnny" and row["image_key_url"] is None, "linking keeps the row's values"


def test_relinking_to_another_global_records_it_and_clears_conflicts(conn: Conn, library: Library) -> None:
    copy = with_conflict(conn, library)
    jane = new_global(conn, "Jane Doe", description=TORN, image_key_url=RED_HAIR)
    update(conn, "global_assets", jane, image_key_url=BLACK_HAIR)
    update(conn, "global_assets", jane, description="a woman")
    update(conn, "global_assets", jane, description=TORN)
    assert global_asset(conn, jane)["version"] == 4
    with conn.transaction():
        update(conn, "project_assets", copy, global_asset_id=jane)
        now = scalar(conn, "select now()")
    row = project_asset(conn, copy)
    assert row["global_asset_id"] == jane
    assert row["global_version"] == 4
    assert row["last_synced_at"] == now
    assert row["sync_conflicts"] == {}
    assert row["overridden_fields"] == ["name"], "description now equals Jane's; only name differs"


def test_linking_wins_when_one_update_links_and_edits(conn: Conn, library: Library) -> None:
    local = new_project_asset(conn, library.project, name="Crate", asset_type="prop", description="a crate")
    conn.execute(
        "update project_assets set global_asset_id = %s, asset_type = 'character', description = %s,"
        " image_key_url = %s, overridden_fields = '{asset_type}' where id = %s",
        [library.john, GREY, RED_HAIR, local],
    )
    row = project_asset(conn, local)
    assert row["overridden_fields"] == ["name", "image_key_url"], (
        "edited to equal the global: not overridden; edited to differ or left different: overridden"
    )
    assert row["global_version"] == 2


def test_setting_global_asset_id_to_null_detaches_and_keeps_the_row(conn: Conn, library: Library) -> None:
    copy = with_conflict(conn, library)
    update(conn, "project_assets", copy, name="Johnny")
    before = project_asset(conn, copy)
    update(conn, "project_assets", copy, global_asset_id=None)
    after = project_asset(conn, copy)
    assert after["global_asset_id"] is None
    assert synced_values(after) == synced_values(before)
    assert after["overridden_fields"] == before["overridden_fields"]
    assert after["global_version"] == before["global_version"] == 3
    assert after["sync_conflicts"] == before["sync_conflicts"] != {}, "documented: a detached copy keeps its conflicts"
    assert status_of(conn, copy) == "detached"

    other = clone(conn, library.john, library.project)
    update(conn, "project_assets", other, global_asset_id=None, image_key_url=RED_HAIR)
    assert project_asset(conn, other)["overridden_fields"] == ["image_key_url"], "an edit while detaching marks"


def test_deleting_the_global_detaches_copies_and_deletes_its_versions(conn: Conn, library: Library) -> None:
    plain = clone(conn, library.john, library.project)
    edited = with_conflict(conn, library)
    other_global = new_global(conn, "Stage", asset_type="location")
    other_copy = clone(conn, other_global, library.project)
    before = {row_id: project_asset(conn, row_id) for row_id in (plain, edited, other_copy)}
    other_before = tables_snapshot(conn)["global_asset_versions"]

    conn.execute("delete from global_assets where id = %s", [library.john])

    for row_id in (plain, edited):
        after = project_asset(conn, row_id)
        assert after["global_asset_id"] is None
        assert synced_values(after) == synced_values(before[row_id]), "every value of the copy is kept"
        assert after["overridden_fields"] == before[row_id]["overridden_fields"]
        assert after["global_version"] == before[row_id]["global_version"]
        assert after["sync_conflicts"] == before[row_id]["sync_conflicts"]
        assert status_of(conn, row_id) == "detached"
    assert versions(conn, library.john) == []
    assert project_asset(conn, other_copy) == before[other_copy], "copies of other globals are untouched"
    assert len(versions(conn, other_global)) == 1
    assert len(tables_snapshot(conn)["global_asset_versions"]) == len(other_before) - 3


def test_linking_to_a_missing_global_is_p0002_and_changes_nothing(conn: Conn, library: Library) -> None:
    local = new_project_asset(conn, library.project, name="Crate", asset_type="prop")
    copy = clone(conn, library.john, library.project)
    missing = uuid4()
    before = tables_snapshot(conn)
    attempts = [
        (
            "insert into project_assets (project_id, global_asset_id, name, asset_type)"
            " values (%s, %s, 'John Doe', 'character')",
            [library.project, missing],
        ),
        ("update project_assets set global_asset_id = %s where id = %s", [missing, local]),
        ("update project_assets set global_asset_id = %s where id = %s", [missing, copy]),
    ]
    for statement, params in attempts:
        error = error_of(conn, statement, params)
        assert error is not None and error.sqlstate == "P0002", f"{statement}: {error!r}"
        assert str(missing) in str(error), "the message names the missing global"
    assert tables_snapshot(conn) == before


def test_clone_global_asset_makes_a_linked_copy_with_nothing_overridden(conn: Conn, library: Library) -> None:
    update(conn, "global_assets", library.john, visual_style_capsule_id=uuid4())
    with conn.transaction():
        copy = clone(conn, library.john, library.project)
        now = scalar(conn, "select now()")
    row = project_asset(conn, copy)
    assert row["project_id"] == library.project
    assert row["global_asset_id"] == library.john
    assert synced_values(row) == synced_values(global_asset(conn, library.john))
    assert row["global_version"] == 3
    assert row["last_synced_at"] == now
    assert row["overridden_fields"] == []
    assert row["sync_conflicts"] == {}
    assert status_of(conn, copy) == "up_to_date"
