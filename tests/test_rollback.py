"""rollback_global_asset(): restore an earlier version of a global asset as a new version.

Contract (Functions): the synced fields are restored from that version's snapshot as a new version (history
is kept) whose number is returned; a field missing from the snapshot keeps its current value; when the
snapshot equals the current values no version is made and the current one is returned; a version that does
not exist is P0002, a NULL argument 22004, and an error changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR, TORN
from support import (
    SYNCED_FIELDS,
    Conn,
    add_column,
    clone,
    error_of,
    global_asset,
    new_global,
    new_project,
    project_asset,
    refresh,
    scalar,
    sync,
    tables_snapshot,
    update,
    versions,
)

# One migrated database for the module, its tables emptied after each test (conftest: conn).
pytestmark = pytest.mark.shared_database


@dataclass
class History:
    john: UUID  # v1: CLEAN + BLACK_HAIR, v2: GREY + BLACK_HAIR, v3: GREY + RED_HAIR


@pytest.fixture
def history(conn: Conn) -> History:
    john = new_global(conn, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    update(conn, "global_assets", john, description=GREY)
    update(conn, "global_assets", john, image_key_url=RED_HAIR)
    return History(john)


def rollback(conn: Conn, global_id: UUID, version: int) -> int:
    return scalar(conn, "select rollback_global_asset(%s, %s)", [global_id, version])


def test_rollback_restores_an_earlier_version_as_a_new_one(conn: Conn, history: History) -> None:
    old = versions(conn, history.john)
    assert rollback(conn, history.john, 1) == 4
    row = global_asset(conn, history.john)
    assert row["version"] == 4
    assert (row["description"], row["image_key_url"]) == (CLEAN, BLACK_HAIR)
    after = versions(conn, history.john)
    assert after[:3] == old, "history is kept as it was"
    assert after[3]["snapshot"] == old[0]["snapshot"]
    assert after[3]["changed_fields"] == ["description", "image_key_url"], "column order"

    assert rollback(conn, history.john, 3) == 5, "rolling back a rollback is a version too"
    assert global_asset(conn, history.john)["image_key_url"] == RED_HAIR


def test_rollback_to_values_equal_to_the_current_ones_makes_no_version(conn: Conn, history: History) -> None:
    before = tables_snapshot(conn)
    assert rollback(conn, history.john, 3) == 3, "the current version itself"
    assert tables_snapshot(conn) == before
    update(conn, "global_assets", history.john, image_key_url=BLACK_HAIR)
    assert global_asset(conn, history.john)["version"] == 4
    before = tables_snapshot(conn)
    assert rollback(conn, history.john, 2) == 4, "an older version whose snapshot equals the current values"
    assert tables_snapshot(conn) == before


def test_a_field_missing_from_the_old_snapshot_keeps_its_current_value(conn: Conn, history: History) -> None:
    with conn.transaction(force_rollback=True):  # the added column goes away with the test
        add_column(conn, "mood", "text")
        refresh(conn)
        update(conn, "global_assets", history.john, mood="calm")
        assert global_asset(conn, history.john)["version"] == 4
        assert "mood" not in versions(conn, history.john)[0]["snapshot"]

        assert rollback(conn, history.john, 1) == 5
        row = global_asset(conn, history.john)
        assert (row["description"], row["image_key_url"], row["mood"]) == (CLEAN, BLACK_HAIR, "calm")
        latest = versions(conn, history.john)[-1]
        assert latest["changed_fields"] == ["description", "image_key_url"]
        assert latest["snapshot"]["mood"] == "calm"

        update(conn, "global_assets", history.john, mood="angry")
        before = tables_snapshot(conn)
        assert rollback(conn, history.john, 1) == 6, "only the field missing from the snapshot differs: no version"
        assert tables_snapshot(conn) == before


def test_unknown_version_is_p0002_and_null_is_22004(conn: Conn, history: History) -> None:
    missing = uuid4()
    before = tables_snapshot(conn)
    for global_id, version in ((history.john, 4), (history.john, 99), (history.john, 0), (history.john, -1)):
        error = error_of(conn, "select rollback_global_asset(%s, %s)", [global_id, version])
        assert error is not None and error.sqlstate == "P0002", f"version {version}: {error!r}"
        assert str(global_id) in str(error) and str(version) in str(error), "the message names asset and version"
    error = error_of(conn, "select rollback_global_asset(%s, 1)", [missing])
    assert error is not None and error.sqlstate == "P0002", f"unknown asset: {error!r}"
    assert str(missing) in str(error)
    for params in ([None, 1], [history.john, None], [None, None]):
        error = error_of(conn, "select rollback_global_asset(%s, %s)", params)
        assert error is not None and error.sqlstate == "22004", f"NULL argument {params}: {error!r}"
    assert tables_snapshot(conn) == before


def test_copies_sync_after_a_rollback_as_usual(conn: Conn, history: History) -> None:
    project = new_project(conn)
    copy = clone(conn, history.john, project)
    untouched = clone(conn, history.john, project)
    update(conn, "project_assets", copy, description=TORN)
    assert rollback(conn, history.john, 1) == 4

    report = sync(conn, copy)
    assert report["from_version"] == 3 and report["to_version"] == 4
    assert report["status"] == "synced"
    assert report["updated_fields"] == ["image_key_url"]
    assert report["kept_fields"] == ["description"]
    assert report["conflict_fields"] == ["description"], "the rollback changed a field the project overrode"
    row = project_asset(conn, copy)
    assert (row["description"], row["image_key_url"], row["global_version"]) == (TORN, BLACK_HAIR, 4)
    conflict = row["sync_conflicts"]["description"]
    assert (conflict["base"], conflict["local"], conflict["global"]) == (GREY, TORN, CLEAN)
    assert conflict["global_version"] == 4

    assert scalar(conn, "select sync_project(%s)", [project]) == 1, "only the copy still behind"
    plain = project_asset(conn, untouched)
    assert {f: plain[f] for f in SYNCED_FIELDS} == {f: global_asset(conn, history.john)[f] for f in SYNCED_FIELDS}
    assert plain["overridden_fields"] == [] and plain["global_version"] == 4
