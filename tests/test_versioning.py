"""Versioning of global assets and the append-only history in global_asset_versions.

Contract (Behaviour, Versioning and Delete; Comparison): version 1 is stored at INSERT with every synced field
in changed_fields; an UPDATE that changes a synced field raises version by exactly 1 and stores the snapshot and
the changed fields (column order); an UPDATE that changes none keeps it; a client write of version, or an INSERT
with a version other than 1, is 22023; the history is written only by the database (42501), and goes away with
its asset. A json column is compared as jsonb.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR
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
    tables_snapshot,
    update,
    versions,
)

# One migrated database for the module, its tables emptied after each test (conftest: conn).
pytestmark = pytest.mark.shared_database


def version_of(conn: Conn, global_id: UUID) -> int:
    return global_asset(conn, global_id)["version"]


def snapshot_of_row(row: dict[str, Any]) -> dict[str, Any]:
    """The synced fields of a row as the snapshot stores them (jsonb: uuids as strings)."""
    return {field: None if row[field] is None else str(row[field]) for field in SYNCED_FIELDS}


def test_insert_makes_version_1_with_every_synced_field(conn: Conn) -> None:
    john = new_global(conn, "John Doe", description=CLEAN)
    row = global_asset(conn, john)
    assert row["version"] == 1
    [first] = versions(conn, john)
    assert first["version"] == 1
    assert first["snapshot"] == snapshot_of_row(row), "every synced field, NULLs included"
    assert first["changed_fields"] == SYNCED_FIELDS, "version 1 changed every synced field, in column order"

    explicit = scalar(
        conn, "insert into global_assets (name, asset_type, version) values ('Stage', 'location', 1) returning id"
    )
    assert version_of(conn, explicit) == 1, "an explicit version 1 is accepted"


def test_update_of_synced_fields_raises_version_by_exactly_one(conn: Conn) -> None:
    john = new_global(conn, "John Doe", description=CLEAN)
    update(conn, "global_assets", john, description=GREY)
    assert version_of(conn, john) == 2
    update(conn, "global_assets", john, name="John D.", image_key_url=RED_HAIR, visual_style_capsule_id=uuid4())
    assert version_of(conn, john) == 3, "a multi-column UPDATE is one version"
    update(conn, "global_assets", john, description=None)
    assert version_of(conn, john) == 4, "value -> NULL is a change"
    assert [v["version"] for v in versions(conn, john)] == [1, 2, 3, 4]


def test_new_version_stores_snapshot_and_changed_fields_in_column_order(conn: Conn) -> None:
    john = new_global(conn, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    conn.execute(
        "update global_assets set visual_style_capsule_id = %s, image_key_url = %s, name = %s, asset_type = asset_type"
        " where id = %s",
        [uuid4(), RED_HAIR, "John D.", john],
    )
    latest = versions(conn, john)[-1]
    assert latest["version"] == 2
    assert latest["changed_fields"] == ["name", "image_key_url", "visual_style_capsule_id"]
    assert latest["snapshot"] == snapshot_of_row(global_asset(conn, john))


def test_update_changing_no_synced_field_keeps_the_version(conn: Conn) -> None:
    john = new_global(conn, "John Doe", description=CLEAN)
    same = ", ".join(f"{field} = {field}" for field in SYNCED_FIELDS)
    conn.execute(f"update global_assets set {same} where id = %s", [john])
    update(conn, "global_assets", john, description=CLEAN, image_key_url=None)
    update(conn, "global_assets", john, owner_id=uuid4())
    update(conn, "global_assets", john, updated_at="2000-01-01T00:00:00Z", created_at="2000-01-01T00:00:00Z")
    assert version_of(conn, john) == 1
    assert len(versions(conn, john)) == 1


def test_updated_at_is_maintained(conn: Conn) -> None:
    john = new_global(conn, "John Doe")
    for assignment in ("description = 'x', updated_at = '2000-01-01'", "updated_at = '2000-01-01'"):
        with conn.transaction():
            conn.execute(f"update global_assets set {assignment} where id = %s", [john])
            assert global_asset(conn, john)["updated_at"] == scalar(conn, "select now()"), assignment


def test_client_write_of_version_is_22023(conn: Conn) -> None:
    john = new_global(conn, "John Doe")
    update(conn, "global_assets", john, description=GREY)
    before = tables_snapshot(conn)
    for assignment in ("version = 3", "version = version + 1, description = 'x'", "version = 1", "version = null"):
        error = error_of(conn, f"update global_assets set {assignment} where id = %s", [john])
        assert error is not None and error.sqlstate == "22023", f"{assignment}: {error!r}"
        assert str(john) in str(error), "the message names the asset"
    assert tables_snapshot(conn) == before

    update(conn, "global_assets", john, version=2, description=CLEAN)
    assert version_of(conn, john) == 3, "writing the current version back is no change of it"

    before = tables_snapshot(conn)
    for version in (2, 0, -1, None):
        error = error_of(
            conn, "insert into global_assets (name, asset_type, version) values ('John', 'character', %s)", [version]
        )
        assert error is not None and error.sqlstate == "22023", f"INSERT with version {version}: {error!r}"
    assert tables_snapshot(conn) == before


def test_history_refuses_direct_writes_with_42501(conn: Conn) -> None:
    """Even for the superuser test connection, which bypasses row-level security."""
    john = new_global(conn, "John Doe", description=CLEAN)
    update(conn, "global_assets", john, description=GREY)
    before = tables_snapshot(conn)
    attempts = [
        (
            "insert into global_asset_versions (global_asset_id, version, snapshot, changed_fields)"
            """ values (%s, 3, '{"name": "forged"}', '{name}')""",
            [john],
        ),
        (
            "insert into global_asset_versions (global_asset_id, version, snapshot, changed_fields)"
            """ values (%s, 2, '{"name": "forged"}', '{name}')""",
            [john],
        ),
        ("""update global_asset_versions set snapshot = '{"name": "forged"}' where global_asset_id = %s""", [john]),
        ("update global_asset_versions set version = version + 10 where global_asset_id = %s", [john]),
        ("delete from global_asset_versions where global_asset_id = %s and version = 1", [john]),
        ("delete from global_asset_versions where global_asset_id = %s", [john]),
    ]
    for statement, params in attempts:
        error = error_of(conn, statement, params)
        assert error is not None and error.sqlstate == "42501", f"{statement}: {error!r}"
    assert tables_snapshot(conn) == before


def test_deleting_a_global_asset_deletes_its_versions(conn: Conn) -> None:
    john = new_global(conn, "John Doe")
    update(conn, "global_assets", john, description=GREY)
    update(conn, "global_assets", john, description=CLEAN)
    stage = new_global(conn, "Stage", asset_type="location")
    conn.execute("delete from global_assets where id = %s", [john])
    assert versions(conn, john) == []
    assert [v["version"] for v in versions(conn, stage)] == [1], "other assets keep their history"


def test_json_column_is_compared_as_jsonb(conn: Conn) -> None:
    with conn.transaction(force_rollback=True):  # the added column goes away with the test
        add_column(conn, "meta", "json")
        refresh(conn)
        john = scalar(
            conn,
            "insert into global_assets (name, asset_type, meta)"
            """ values ('John', 'character', '{"a": 1, "b": [1, 2]}') returning id""",
        )
        copy = clone(conn, john, new_project(conn))
        for table, row_id in (("global_assets", john), ("project_assets", copy)):
            conn.execute(f"""update {table} set meta = '{{ "b":[1,2],"a" : 1 }}' where id = %s""", [row_id])
        assert version_of(conn, john) == 1, "whitespace and key order are no change of a json value"
        assert project_asset(conn, copy)["overridden_fields"] == []

        for table, row_id in (("global_assets", john), ("project_assets", copy)):
            conn.execute(f"""update {table} set meta = '{{"a": 1, "b": [2, 1]}}' where id = %s""", [row_id])
        assert version_of(conn, john) == 2
        assert versions(conn, john)[-1]["changed_fields"] == ["meta"]
        assert versions(conn, john)[-1]["snapshot"]["meta"] == {"a": 1, "b": [2, 1]}
        assert project_asset(conn, copy)["overridden_fields"] == ["meta"]
