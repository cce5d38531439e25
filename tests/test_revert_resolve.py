"""revert_project_asset_fields and resolve_sync_conflict: undoing local edits and closing conflicts.

A revert gives fields the global's current value, stops protecting them and drops their conflicts, but
leaves global_version alone. keep_local drops a conflict entry and keeps the override; take_global is a
revert of that one field.

The tests share one migrated database per module (a fresh one costs ~0.4 s); each makes its own rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from story import BLUE, CLEAN, GREY, LOCAL_IMAGE, RED_HAIR, TORN, JohnDoe, john_doe
from support import (
    Conn,
    clone,
    error_of,
    new_global,
    new_project,
    new_project_asset,
    project_asset,
    sync,
    tables_snapshot,
    update,
)


@pytest.fixture
def john(db: Conn) -> JohnDoe:
    """John Doe in Project A with three overrides and two open conflicts, the global one version further on.

    At v1 the copy overrides image_key_url, then description, then name (that order). The library
    changes name and description (v2); the sync records conflicts on both. Then it changes
    description again and the image (v3), not yet synced: global_version stays 2.
    """
    john = john_doe(db)
    update(db, "project_assets", john.copy, image_key_url=LOCAL_IMAGE)
    update(db, "project_assets", john.copy, description=TORN)
    update(db, "project_assets", john.copy, name="Jon")
    update(db, "global_assets", john.global_asset, name="Johnny", description=GREY)
    sync(db, john.copy)
    update(db, "global_assets", john.global_asset, description=BLUE, image_key_url=RED_HAIR)
    row = project_asset(db, john.copy)
    assert row["overridden_fields"] == ["image_key_url", "description", "name"]
    assert set(row["sync_conflicts"]) == {"name", "description"}
    assert row["global_version"] == 2
    return john


def revert(db: Conn, project_asset_id: UUID, fields: list[str] | None) -> list[str]:
    row = db.execute("select revert_project_asset_fields(%s, %s)", [project_asset_id, fields]).fetchone()
    assert row is not None
    return row[0]


def resolve(db: Conn, project_asset_id: UUID, field: str, resolution: str) -> None:
    db.execute("select resolve_sync_conflict(%s, %s, %s)", [project_asset_id, field, resolution])


def refusal(db: Conn, query: str, params: list[Any]) -> psycopg.Error:
    """The error of a call that must fail and change nothing."""
    before = tables_snapshot(db)
    error = error_of(db, query, params)
    assert error is not None, f"no error from: {query} {params}"
    assert tables_snapshot(db) == before, "a failing call changed data"
    return error


def local_asset(db: Conn) -> UUID:
    return new_project_asset(db, new_project(db, "Project L"))


def detached_asset(db: Conn, john: JohnDoe) -> UUID:
    update(db, "project_assets", john.copy, global_asset_id=None)
    return john.copy


# -- revert_project_asset_fields ------------------------------------------------------------------------------------


def test_revert_named_fields_returns_them_in_column_order(db: Conn, john: JohnDoe) -> None:
    assert revert(db, john.copy, ["image_key_url", "name"]) == ["name", "image_key_url"]


def test_revert_named_fields_gives_them_the_globals_current_value(db: Conn, john: JohnDoe) -> None:
    revert(db, john.copy, ["image_key_url", "name"])
    row = project_asset(db, john.copy)
    assert (row["name"], row["image_key_url"]) == ("Johnny", RED_HAIR)  # v3's image, though global_version is 2
    assert row["description"] == TORN


def test_revert_named_fields_unprotects_them_and_drops_their_conflicts_only(db: Conn, john: JohnDoe) -> None:
    revert(db, john.copy, ["image_key_url", "name"])
    row = project_asset(db, john.copy)
    assert row["overridden_fields"] == ["description"]
    assert set(row["sync_conflicts"]) == {"description"}


def test_revert_leaves_global_version_as_it_is(db: Conn, john: JohnDoe) -> None:
    before = project_asset(db, john.copy)
    revert(db, john.copy, ["name"])
    revert(db, john.copy, None)
    after = project_asset(db, john.copy)
    assert after["global_version"] == 2
    assert after["last_synced_at"] == before["last_synced_at"]


def test_revert_null_reverts_every_overridden_field_in_column_order(db: Conn, john: JohnDoe) -> None:
    assert revert(db, john.copy, None) == ["name", "description", "image_key_url"]
    row = project_asset(db, john.copy)
    assert (row["name"], row["description"], row["image_key_url"]) == ("Johnny", BLUE, RED_HAIR)
    assert row["overridden_fields"] == []
    assert row["sync_conflicts"] == {}


def test_revert_without_fields_argument_defaults_to_every_overridden_field(db: Conn, john: JohnDoe) -> None:
    row = db.execute("select revert_project_asset_fields(%s)", [john.copy]).fetchone()
    assert row is not None
    assert row[0] == ["name", "description", "image_key_url"]
    assert project_asset(db, john.copy)["overridden_fields"] == []


def test_revert_null_with_nothing_overridden_returns_an_empty_array(db: Conn, john: JohnDoe) -> None:
    revert(db, john.copy, None)
    assert revert(db, john.copy, None) == []


def test_revert_of_a_field_that_was_not_overridden_still_resets_and_returns_it(db: Conn, john: JohnDoe) -> None:
    # asset_type was never overridden; give the global a new one so that the reset is visible.
    update(db, "global_assets", john.global_asset, asset_type="prop")
    assert project_asset(db, john.copy)["asset_type"] == "character"
    assert revert(db, john.copy, ["asset_type"]) == ["asset_type"]
    row = project_asset(db, john.copy)
    assert row["asset_type"] == "prop"
    assert row["overridden_fields"] == ["image_key_url", "description", "name"]
    assert row["global_version"] == 2


def test_revert_collapses_duplicate_names(db: Conn, john: JohnDoe) -> None:
    assert revert(db, john.copy, ["description", "name", "description", "name"]) == ["name", "description"]
    assert project_asset(db, john.copy)["overridden_fields"] == ["image_key_url"]


def test_revert_of_an_empty_array_reverts_nothing(db: Conn, john: JohnDoe) -> None:
    before = project_asset(db, john.copy)
    assert revert(db, john.copy, []) == []
    after = project_asset(db, john.copy)
    before.pop("updated_at")
    after.pop("updated_at")
    assert after == before


def test_reverted_fields_are_not_marked_overridden_again(db: Conn, john: JohnDoe) -> None:
    revert(db, john.copy, ["name"])
    assert "name" not in project_asset(db, john.copy)["overridden_fields"]
    report = db.execute("select sync_project_asset(%s)", [john.copy]).fetchone()
    assert report is not None
    assert report[0]["kept_fields"] == ["description", "image_key_url"]


def test_revert_of_a_local_asset_is_55000(db: Conn) -> None:
    local = local_asset(db)
    error = refusal(db, "select revert_project_asset_fields(%s, %s)", [local, ["name"]])
    assert error.sqlstate == "55000"
    assert str(local) in error.diag.message_primary


def test_revert_of_a_detached_asset_is_55000(db: Conn, john: JohnDoe) -> None:
    detached = detached_asset(db, john)
    error = refusal(db, "select revert_project_asset_fields(%s, %s)", [detached, None])
    assert error.sqlstate == "55000"
    assert str(detached) in error.diag.message_primary


# -- resolve_sync_conflict ---------------------------------------------------------------------------------------


def test_keep_local_drops_the_entry_and_keeps_the_override_and_value(db: Conn, john: JohnDoe) -> None:
    resolve(db, john.copy, "description", "keep_local")
    row = project_asset(db, john.copy)
    assert set(row["sync_conflicts"]) == {"name"}
    assert row["overridden_fields"] == ["image_key_url", "description", "name"]
    assert row["description"] == TORN
    assert row["global_version"] == 2


def test_keep_local_is_not_undone_by_a_sync_that_brings_no_new_change_to_the_field(db: Conn) -> None:
    project = new_project(db)
    global_id = new_global(db, "John Doe", description=CLEAN)
    copy_id = clone(db, global_id, project)
    update(db, "project_assets", copy_id, description=TORN)
    update(db, "global_assets", global_id, description=GREY)
    sync(db, copy_id)
    resolve(db, copy_id, "description", "keep_local")
    update(db, "global_assets", global_id, name="Johnny")
    sync(db, copy_id)
    row = project_asset(db, copy_id)
    assert (row["description"], row["sync_conflicts"]) == (TORN, {})


def test_keep_local_protects_the_field_again_when_the_client_had_unprotected_it(db: Conn, john: JohnDoe) -> None:
    db.execute(
        "update project_assets set overridden_fields = array_remove(overridden_fields, 'description') where id = %s",
        [john.copy],
    )
    resolve(db, john.copy, "description", "keep_local")
    assert "description" in project_asset(db, john.copy)["overridden_fields"]
    sync(db, john.copy)
    row = project_asset(db, john.copy)
    # Kept, not overwritten; the library's newer change (v3) is a new conflict, as for any override.
    assert (row["description"], row["sync_conflicts"]["description"]["global"]) == (TORN, BLUE)


def test_take_global_acts_as_a_revert_of_that_field(db: Conn, john: JohnDoe) -> None:
    resolve(db, john.copy, "description", "take_global")
    row = project_asset(db, john.copy)
    assert row["description"] == BLUE  # the global's current value (v3), not the conflict's (v2)
    assert row["overridden_fields"] == ["image_key_url", "name"]
    assert set(row["sync_conflicts"]) == {"name"}
    assert row["global_version"] == 2


def test_resolving_a_field_without_a_conflict_entry_is_22023(db: Conn, john: JohnDoe) -> None:
    # image_key_url is overridden but has no conflict; asset_type is neither.
    for field in ("image_key_url", "asset_type"):
        for resolution in ("keep_local", "take_global"):
            error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [john.copy, field, resolution])
            assert error.sqlstate == "22023"
            assert field in error.diag.message_primary


def test_resolving_the_same_conflict_twice_is_22023(db: Conn, john: JohnDoe) -> None:
    resolve(db, john.copy, "name", "keep_local")
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [john.copy, "name", "keep_local"])
    assert error.sqlstate == "22023"


@pytest.mark.parametrize("keyword", ["KEEP_LOCAL", "keep local", "take_global ", "", "revert", "keep_local; drop"])
def test_resolving_with_another_keyword_is_22023(db: Conn, john: JohnDoe, keyword: str) -> None:
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [john.copy, "description", keyword])
    assert error.sqlstate == "22023"
    assert keyword in error.diag.message_primary


@pytest.mark.parametrize("field", ["colour", "global_version", "sync_conflicts", "id", "Description", ""])
def test_resolving_a_bad_field_name_is_22023(db: Conn, john: JohnDoe, field: str) -> None:
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [john.copy, field, "keep_local"])
    assert error.sqlstate == "22023"
    assert f"'{field}'" in error.diag.message_primary


def test_resolving_on_a_local_asset_is_55000(db: Conn) -> None:
    local = local_asset(db)
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [local, "name", "keep_local"])
    assert error.sqlstate == "55000"
    assert str(local) in error.diag.message_primary


def test_resolving_on_a_detached_asset_is_55000(db: Conn, john: JohnDoe) -> None:
    detached = detached_asset(db, john)
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [detached, "name", "take_global"])
    assert error.sqlstate == "55000"
    assert str(detached) in error.diag.message_primary


def test_resolving_on_an_unknown_asset_is_p0002(db: Conn) -> None:
    missing = uuid4()
    error = refusal(db, "select resolve_sync_conflict(%s, %s, %s)", [missing, "name", "keep_local"])
    assert error.sqlstate == "P0002"
    assert str(missing) in error.diag.message_primary
