"""Override tracking of project_assets: which writes mark a field as overridden, and which writes are refused.

Contract (Behaviour, Tracking): any UPDATE that changes a synced field (IS DISTINCT FROM) adds its name to
overridden_fields once, whoever issues it; writes of the library functions never mark; overridden_fields
holds only synced field names, as a set (23514 otherwise); global_version, last_synced_at and sync_conflicts
belong to the library (22023 for a client write). The library's writes are told apart by the setting
assetsync.writer = 'library' (README, Security), which a client may set on purpose and is then trusted.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR, TORN, JohnDoe, john_doe
from support import (
    SYNCED_FIELDS,
    Conn,
    clone,
    error_of,
    new_project,
    new_project_asset,
    project_asset,
    scalar,
    sync,
    tables_snapshot,
    update,
)

# One migrated database for the module, its tables emptied after each test (conftest: conn).
pytestmark = pytest.mark.shared_database


@pytest.fixture
def john(conn: Conn) -> JohnDoe:
    """Global "John Doe" (clean suit, an image, no style capsule) cloned into a project: nothing overridden."""
    return john_doe(conn)


def overridden(conn: Conn, project_asset_id: UUID) -> list[str]:
    return list(project_asset(conn, project_asset_id)["overridden_fields"])


def with_conflict(conn: Conn, john: JohnDoe) -> JohnDoe:
    """John's copy with description overridden and an open conflict on it (the library changed it too)."""
    update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, description=GREY)
    sync(conn, john.copy)
    assert set(project_asset(conn, john.copy)["sync_conflicts"]) == {"description"}
    return john


def test_update_of_a_synced_field_adds_it_once(conn: Conn, john: JohnDoe) -> None:
    update(conn, "project_assets", john.copy, description=TORN)
    assert overridden(conn, john.copy) == ["description"]
    update(conn, "project_assets", john.copy, description="torn again")
    assert overridden(conn, john.copy) == ["description"]
    update(conn, "project_assets", john.copy, name="Johnny")
    update(conn, "project_assets", john.copy, description="torn a third time", name="Jo")
    marks = overridden(conn, john.copy)
    assert sorted(marks) == ["description", "name"], "overridden_fields must be a set"


def test_null_to_value_and_value_to_null_both_count(conn: Conn, john: JohnDoe) -> None:
    assert project_asset(conn, john.copy)["visual_style_capsule_id"] is None
    update(conn, "project_assets", john.copy, visual_style_capsule_id=uuid4())
    assert overridden(conn, john.copy) == ["visual_style_capsule_id"]

    other = clone(conn, john.global_asset, john.project)
    update(conn, "project_assets", other, image_key_url=None)
    assert overridden(conn, other) == ["image_key_url"]


def test_update_to_the_same_values_changes_nothing(conn: Conn, john: JohnDoe) -> None:
    same = ", ".join(f"{field} = {field}" for field in SYNCED_FIELDS)
    conn.execute(f"update project_assets set {same} where id = %s", [john.copy])
    update(conn, "project_assets", john.copy, description=CLEAN, visual_style_capsule_id=None)
    after = project_asset(conn, john.copy)
    assert after["overridden_fields"] == []
    assert after["sync_conflicts"] == {}

    update(conn, "project_assets", john.copy, name="Johnny")
    conn.execute(f"update project_assets set {same} where id = %s", [john.copy])
    assert overridden(conn, john.copy) == ["name"]


def test_multi_column_update_marks_each_changed_field(conn: Conn, john: JohnDoe) -> None:
    conn.execute(
        "update project_assets set image_key_url = %s, asset_type = asset_type, name = %s, description = null"
        " where id = %s",
        [RED_HAIR, "Johnny", john.copy],
    )
    assert sorted(overridden(conn, john.copy)) == ["description", "image_key_url", "name"]


def test_update_of_non_synced_columns_marks_nothing(conn: Conn, john: JohnDoe) -> None:
    other_project = new_project(conn, "Project B")
    update(conn, "project_assets", john.copy, project_id=other_project)
    update(conn, "project_assets", john.copy, created_at="2000-01-01T00:00:00Z", updated_at="2000-01-01T00:00:00Z")
    assert overridden(conn, john.copy) == []


def test_client_may_remove_names_to_unprotect_a_field(conn: Conn, john: JohnDoe) -> None:
    update(conn, "project_assets", john.copy, description=TORN, name="Johnny")
    conn.execute(
        "update project_assets set overridden_fields = array_remove(overridden_fields, 'description') where id = %s",
        [john.copy],
    )
    after = project_asset(conn, john.copy)
    assert after["overridden_fields"] == ["name"]
    assert after["description"] == TORN, "un-protecting a field keeps its value"

    update(conn, "global_assets", john.global_asset, description=GREY, name="John D.")
    sync(conn, john.copy)
    synced = project_asset(conn, john.copy)
    assert synced["description"] == GREY, "an un-protected field takes the global's value at the next sync"
    assert synced["name"] == "Johnny", "a field still overridden keeps its local value"

    update(conn, "project_assets", john.copy, overridden_fields=[], description="torn and muddy")
    assert overridden(conn, john.copy) == ["description"], "an edit in the same UPDATE marks the field again"


FOREIGN_NAMES: list[list[str | None]] = [
    ["bogus"],
    ["global_version"],
    ["overridden_fields"],
    ["id"],
    ["Name"],
    ["name", "NAME"],
    [""],
    ["name", None],
]


def test_writing_a_name_that_is_not_a_synced_field_is_23514(conn: Conn, john: JohnDoe) -> None:
    local = new_project_asset(conn, john.project, description="kept")
    update(conn, "project_assets", john.copy, description=TORN)
    before = tables_snapshot(conn)
    for names in FOREIGN_NAMES:
        bad = next(name for name in names if name is None or name not in SYNCED_FIELDS)
        for row_id in (john.copy, local):
            for edit in ("", ", description = 'edited too'"):
                error = error_of(
                    conn, f"update project_assets set overridden_fields = %s{edit} where id = %s", [names, row_id]
                )
                assert error is not None and error.sqlstate == "23514", (
                    f"UPDATE{edit} of {row_id} to {names}: {error!r}"
                )
                if bad:
                    assert bad in str(error), f"the message names the offending field {bad!r}"
        error = error_of(
            conn,
            "insert into project_assets (project_id, name, asset_type, overridden_fields) values (%s, 'L', 'prop', %s)",
            [john.project, names],
        )
        assert error is not None and error.sqlstate == "23514", f"INSERT of a local asset with {names}: {error!r}"
    assert tables_snapshot(conn) == before


def test_a_foreign_name_is_rejected_even_when_the_same_write_links(conn: Conn, john: JohnDoe) -> None:
    """'Writing any other name is rejected': linking recomputes overridden_fields but must not swallow a bad write."""
    local = new_project_asset(conn, john.project)
    before = tables_snapshot(conn)
    error = error_of(
        conn,
        "insert into project_assets (project_id, global_asset_id, name, asset_type, overridden_fields)"
        " values (%s, %s, 'John Doe', 'character', '{bogus}')",
        [john.project, john.global_asset],
    )
    assert error is not None and error.sqlstate == "23514", f"INSERT that links: {error!r}"
    error = error_of(
        conn,
        "update project_assets set global_asset_id = %s, overridden_fields = '{bogus}' where id = %s",
        [john.global_asset, local],
    )
    assert error is not None and error.sqlstate == "23514", f"UPDATE that links: {error!r}"
    assert tables_snapshot(conn) == before


def test_duplicates_written_by_the_client_collapse(conn: Conn, john: JohnDoe) -> None:
    update(conn, "project_assets", john.copy, overridden_fields=["name", "description", "name", "description", "name"])
    marks = overridden(conn, john.copy)
    assert sorted(marks) == ["description", "name"]
    assert len(marks) == len(set(marks))

    local = new_project_asset(conn, john.project, overridden_fields=["image_key_url", "image_key_url"])
    assert overridden(conn, local) == ["image_key_url"]


LIBRARY_COLUMN_WRITES = [
    ("global_version = global_version + 1", "global_version"),
    ("global_version = null", "global_version"),
    ("last_synced_at = last_synced_at - interval '1 day'", "last_synced_at"),
    ("last_synced_at = null", "last_synced_at"),
    ("sync_conflicts = '{}'", "sync_conflicts"),
    ("""sync_conflicts = sync_conflicts || '{"name": {"base": "forged"}}'""", "sync_conflicts"),
]


def test_client_update_that_changes_a_library_column_is_22023(conn: Conn, john: JohnDoe) -> None:
    with_conflict(conn, john)
    before = tables_snapshot(conn)
    before_row = project_asset(conn, john.copy)
    for assignment, column in LIBRARY_COLUMN_WRITES:
        for edit in ("", "name = 'Johnny', "):
            error = error_of(conn, f"update project_assets set {edit}{assignment} where id = %s", [john.copy])
            assert error is not None and error.sqlstate == "22023", f"{edit}{assignment}: {error!r}"
            assert column in str(error) and str(john.copy) in str(error), "the message names the column and the row"
    assert tables_snapshot(conn) == before

    conn.execute(
        "update project_assets set global_version = global_version, last_synced_at = last_synced_at,"
        " sync_conflicts = sync_conflicts, name = 'Johnny' where id = %s",
        [john.copy],
    )
    after = project_asset(conn, john.copy)
    assert after["name"] == "Johnny", "an UPDATE that leaves them as they are is accepted"
    for column in ("global_version", "last_synced_at", "sync_conflicts"):
        assert after[column] == before_row[column]


def test_client_insert_giving_a_library_column_a_value_is_22023(conn: Conn, john: JohnDoe) -> None:
    before = tables_snapshot(conn)
    for column, value in (
        ("global_version", 1),
        ("last_synced_at", "2024-01-01T00:00:00Z"),
        ("sync_conflicts", '{"name": {}}'),
    ):
        for global_asset_id in (None, john.global_asset):
            error = error_of(
                conn,
                f"insert into project_assets (project_id, global_asset_id, name, asset_type, {column})"
                " values (%s, %s, 'John Doe', 'character', %s)",
                [john.project, global_asset_id, value],
            )
            assert error is not None and error.sqlstate == "22023", f"{column} (global {global_asset_id}): {error!r}"
            assert column in str(error), "the message names the column"
    assert tables_snapshot(conn) == before

    for global_asset_id in (None, john.global_asset):
        for conflicts in (None, "{}"):
            row_id = scalar(
                conn,
                "insert into project_assets"
                " (project_id, global_asset_id, name, asset_type, global_version, last_synced_at, sync_conflicts)"
                " values (%s, %s, 'John Doe', 'character', null, null, %s) returning id",
                [john.project, global_asset_id, conflicts],
            )
            row = project_asset(conn, row_id)
            assert row["sync_conflicts"] == {}, "NULL and '{}' are accepted"
            assert (row["global_version"] is None) == (global_asset_id is None)


def test_writes_of_the_library_functions_never_mark(conn: Conn, john: JohnDoe) -> None:
    second = clone(conn, john.global_asset, john.project)
    assert overridden(conn, second) == [], "clone"
    update(conn, "project_assets", john.copy, name="Johnny")
    calls = [
        ("select sync_project_asset(%s)", [john.copy], [john.copy]),
        ("select sync_global_asset(%s)", [john.global_asset], [john.copy, second]),
        ("select sync_project(%s)", [john.project], [john.copy, second]),
    ]
    for step, (statement, params, pulled) in enumerate(calls, start=1):
        update(
            conn, "global_assets", john.global_asset, description=f"{GREY} {step}", image_key_url=f"{BLACK_HAIR}{step}"
        )
        conn.execute(statement, params)
        for row_id in pulled:
            row = project_asset(conn, row_id)
            assert row["description"] == f"{GREY} {step}", f"{statement} pulled the change"
            expected = ["name"] if row_id == john.copy else []
            assert row["overridden_fields"] == expected, f"{statement} marked {row['overridden_fields']}"

    update(conn, "project_assets", john.copy, image_key_url=RED_HAIR)
    conn.execute("select revert_project_asset_fields(%s, array['image_key_url'])", [john.copy])
    assert overridden(conn, john.copy) == ["name"], "revert"
    assert project_asset(conn, john.copy)["image_key_url"] == f"{BLACK_HAIR}3"

    with_conflict(conn, john)
    conn.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", [john.copy])
    assert sorted(overridden(conn, john.copy)) == ["description", "name"], "resolve keep_local"
    update(conn, "global_assets", john.global_asset, description="a tall man in a blue suit")
    sync(conn, john.copy)
    conn.execute("select resolve_sync_conflict(%s, 'description', 'take_global')", [john.copy])
    after = project_asset(conn, john.copy)
    assert after["description"] == "a tall man in a blue suit"
    assert after["overridden_fields"] == ["name"], "resolve take_global"


def test_updated_at_is_maintained_for_every_update(conn: Conn, john: JohnDoe) -> None:
    long_ago = "2000-01-01T00:00:00Z"
    statements = [
        ("update project_assets set description = 'torn', updated_at = %s where id = %s", [long_ago, john.copy]),
        ("update project_assets set updated_at = %s where id = %s", [long_ago, john.copy]),
        ("select sync_project_asset(%s)", [john.copy]),
    ]
    for statement, params in statements:
        with conn.transaction():
            conn.execute(statement, params)
            now = scalar(conn, "select now()")
            assert project_asset(conn, john.copy)["updated_at"] == now, statement


def test_tracking_works_for_a_local_asset(conn: Conn, john: JohnDoe) -> None:
    local = new_project_asset(conn, john.project, description="a crate")
    update(conn, "project_assets", local, description="a broken crate")
    update(conn, "project_assets", local, image_key_url=BLACK_HAIR, name="Crate")
    row = project_asset(conn, local)
    assert sorted(row["overridden_fields"]) == ["description", "image_key_url", "name"]
    assert row["global_asset_id"] is None and row["global_version"] is None


def test_library_writer_setting_is_honoured_as_the_trusted_bypass(conn: Conn, john: JohnDoe) -> None:
    with conn.transaction():
        conn.execute("set local assetsync.writer = 'library'")
        update(conn, "project_assets", john.copy, description=TORN)
        update(conn, "project_assets", john.copy, global_version=7)
        local = scalar(
            conn,
            "insert into project_assets (project_id, name, asset_type, global_version, last_synced_at)"
            " values (%s, 'Local', 'prop', 3, now()) returning id",
            [john.project],
        )
        row = project_asset(conn, john.copy)
        assert row["overridden_fields"] == [], "a write declared as the library's is not tracked"
        assert row["global_version"] == 7, "the library may write its bookkeeping columns"
        assert project_asset(conn, local)["global_version"] == 3
    assert scalar(conn, "select current_setting('assetsync.writer', true)") in (None, ""), "SET LOCAL ends"
    update(conn, "project_assets", john.copy, name="Johnny")
    assert overridden(conn, john.copy) == ["name"], "outside the transaction a client is tracked again"


def test_the_bypass_does_not_lift_the_set_of_synced_names_invariant(conn: Conn, john: JohnDoe) -> None:
    """'overridden_fields only ever holds synced field names, as a set': the trusted bypass is trusted to mark and
    un-mark (what a client can do directly anyway), not to store names that are no field or duplicates."""
    with conn.transaction(force_rollback=True):
        conn.execute("set local assetsync.writer = 'library'")
        error = error_of(conn, "update project_assets set overridden_fields = '{bogus}' where id = %s", [john.copy])
        assert error is not None and error.sqlstate == "23514", repr(error)
        update(conn, "project_assets", john.copy, overridden_fields=["name", "name"])
        assert overridden(conn, john.copy) == ["name"]
        error = error_of(
            conn,
            "insert into project_assets (project_id, name, asset_type, overridden_fields)"
            " values (%s, 'L', 'prop', '{bogus}')",
            [john.project],
        )
        assert error is not None and error.sqlstate == "23514", repr(error)
