"""push_project_asset_fields (CONTRACT.md, Part 3): a copy's overridden values become the library's.

One field, every overridden field, a field equal to the global (no version), a copy several versions behind,
a field in conflict, callers who cannot update the global (P0002), the argument errors, the journal (one push
row, no sync row), and a push concurrent with a sync of another copy of the same global.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from blocking import wait_until_blocked
from story import BLACK_HAIR, BLUE, CLEAN, GREY, LOCAL_IMAGE, RED_HAIR, TORN, john_doe
from support import Conn, clone, global_asset, project_asset, scalar, sqlstate_of, sync, update, versions


def push(conn: Conn, copy: UUID, fields: list[str] | None = None) -> int:
    return int(scalar(conn, "select push_project_asset_fields(%s, %s)", [copy, fields]))


def journal_kinds(conn: Conn, copy: UUID) -> list[str]:
    rows = conn.execute(
        "select kind from project_asset_changes where project_asset_id = %s order by id", [copy]
    ).fetchall()
    return [r[0] for r in rows]


def test_push_of_one_field_makes_one_version_and_unoverrides_it(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN, image_key_url=LOCAL_IMAGE)
    assert push(conn, john.copy, ["description"]) == 2
    g = global_asset(conn, john.global_asset)
    assert (g["version"], g["description"], g["image_key_url"]) == (2, TORN, BLACK_HAIR)  # image not pushed
    assert [v["version"] for v in versions(conn, john.global_asset)] == [1, 2]
    pa = project_asset(conn, john.copy)
    assert pa["overridden_fields"] == ["image_key_url"]
    assert (pa["description"], pa["global_version"], pa["sync_conflicts"]) == (TORN, 2, {})
    kinds = journal_kinds(conn, john.copy)
    assert kinds[-1] == "push" and "sync" not in kinds
    row = conn.execute(
        "select fields, before, after from project_asset_changes where project_asset_id = %s and kind = 'push'",
        [john.copy],
    ).fetchone()
    assert row is not None
    assert row[0] == ["description"]
    assert row[1]["description"] == {"value": TORN, "overridden": True, "conflict": None}
    assert row[2]["description"] == {"value": TORN, "overridden": False, "conflict": None}
    assert (row[1]["global_version"], row[2]["global_version"]) == (1, 2)


def test_push_of_every_overridden_field_with_null(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN, image_key_url=LOCAL_IMAGE)
    assert push(conn, john.copy) == 2
    g = global_asset(conn, john.global_asset)
    assert (g["description"], g["image_key_url"]) == (TORN, LOCAL_IMAGE)
    assert len(versions(conn, john.global_asset)) == 2  # one version for both fields
    pa = project_asset(conn, john.copy)
    assert (pa["overridden_fields"], pa["global_version"]) == ([], 2)


def test_a_field_equal_to_the_global_makes_no_version_but_is_unoverridden(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, overridden_fields=["description"])
    before = len(journal_kinds(conn, john.copy))
    assert push(conn, john.copy, ["description"]) == 1
    assert len(versions(conn, john.global_asset)) == 1
    assert project_asset(conn, john.copy)["overridden_fields"] == []
    assert journal_kinds(conn, john.copy)[before:] == ["push"]


def test_an_empty_list_or_a_field_not_overridden_changes_nothing(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    before = journal_kinds(conn, john.copy)
    assert push(conn, john.copy, []) == 1
    assert push(conn, john.copy, ["name"]) == 1
    assert global_asset(conn, john.global_asset)["description"] == CLEAN
    assert project_asset(conn, john.copy)["overridden_fields"] == ["description"]
    assert journal_kinds(conn, john.copy) == before


def test_a_copy_several_versions_behind_pushes_over_the_library_and_catches_up(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, description=GREY)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    update(conn, "global_assets", john.global_asset, description=BLUE)
    assert push(conn, john.copy, ["description"]) == 5
    g = global_asset(conn, john.global_asset)
    assert (g["description"], g["image_key_url"]) == (TORN, RED_HAIR)  # the push overwrote BLUE
    pa = project_asset(conn, john.copy)
    assert (pa["description"], pa["image_key_url"], pa["global_version"]) == (TORN, RED_HAIR, 5)
    assert (pa["overridden_fields"], pa["sync_conflicts"]) == ([], {})
    row = conn.execute(
        "select fields, after from project_asset_changes where project_asset_id = %s and kind = 'push'",
        [john.copy],
    ).fetchone()
    assert row is not None
    assert row[0] == ["description", "image_key_url"]  # the sync's update is part of the push row
    assert row[1]["global_version"] == 5


def test_a_field_in_conflict_is_pushed_and_loses_its_entry(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN, name="Johnny")
    update(conn, "global_assets", john.global_asset, description=GREY, name="Jon")
    sync(conn, john.copy)
    assert set(project_asset(conn, john.copy)["sync_conflicts"]) == {"name", "description"}
    assert push(conn, john.copy, ["description"]) == 3
    pa = project_asset(conn, john.copy)
    assert list(pa["sync_conflicts"]) == ["name"]
    assert pa["overridden_fields"] == ["name"]
    assert global_asset(conn, john.global_asset)["description"] == TORN


def test_errors(conn: Conn) -> None:
    john = john_doe(conn)
    local = scalar(
        conn, "insert into project_assets (project_id, name, asset_type) values (%s, 'x', 'prop') returning id",
        [john.project],
    )
    assert sqlstate_of(conn, "select push_project_asset_fields(null)") == "22004"
    assert sqlstate_of(conn, "select push_project_asset_fields(%s, array['nope'])", [john.copy]) == "22023"
    assert sqlstate_of(conn, "select push_project_asset_fields(%s)", [uuid.uuid4()]) == "P0002"
    assert sqlstate_of(conn, "select push_project_asset_fields(%s)", [local]) == "55000"


@pytest.fixture
def caller(conn: Conn, db_url: str) -> Iterator[tuple[str, Conn]]:
    """An API role (what `migrate --grant-to` grants) and a connection acting as a user of it."""
    role = f"assetsync_push_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    conn.execute("select assetsync.grant_to(%s)", (role,))
    caller_conn = psycopg.connect(db_url, autocommit=True)
    caller_conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
    try:
        yield role, caller_conn
    finally:
        caller_conn.close()
        conn.execute("select assetsync.revoke_from(%s)", (role,))
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def as_user(caller_conn: Conn, user: UUID) -> None:
    caller_conn.execute(
        "select set_config('request.jwt.claims', %s, false)", [f'{{"sub": "{user}", "role": "authenticated"}}']
    )


def test_the_owner_can_push_under_rls(conn: Conn, caller: tuple[str, Conn]) -> None:
    _, me = caller
    user = uuid.uuid4()
    as_user(me, user)
    john = john_doe(me)
    update(me, "project_assets", john.copy, description=TORN)
    assert push(me, john.copy) == 2
    assert global_asset(conn, john.global_asset)["description"] == TORN


def test_a_caller_who_cannot_update_the_global_gets_p0002(conn: Conn, caller: tuple[str, Conn]) -> None:
    role, me = caller
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    project = scalar(conn, "insert into projects (name, owner_id) values ('P', %s) returning id", [mine])
    global_id = scalar(
        conn, "insert into global_assets (name, asset_type, owner_id) values ('G', 'prop', %s) returning id", [theirs]
    )
    copy = clone(conn, global_id, project)
    conn.execute("update project_assets set description = %s where id = %s", [TORN, copy])
    as_user(me, mine)
    # Not visible at all.
    assert sqlstate_of(me, "select push_project_asset_fields(%s)", [copy]) == "P0002"
    # Visible through a policy that allows only SELECT.
    policy = f"see_all_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("create policy {} on global_assets for select using (true)").format(sql.Identifier(policy)))
    try:
        assert scalar(me, "select count(*) from global_assets where id = %s", [global_id]) == 1
        assert sqlstate_of(me, "select push_project_asset_fields(%s)", [copy]) == "P0002"
    finally:
        conn.execute(sql.SQL("drop policy {} on global_assets").format(sql.Identifier(policy)))
    # Its own global, but no UPDATE privilege on the library.
    conn.execute("update global_assets set owner_id = %s where id = %s", [mine, global_id])
    conn.execute(sql.SQL("revoke update on global_assets from {}").format(sql.Identifier(role)))
    assert sqlstate_of(me, "select push_project_asset_fields(%s)", [copy]) == "P0002"
    assert global_asset(conn, global_id)["version"] == 1
    assert project_asset(conn, copy)["overridden_fields"] == ["description"]


def test_a_push_does_not_wait_for_a_sync_of_another_copy_and_both_land(conn: Conn, db_url: str) -> None:
    """The sync holds the global FOR KEY SHARE and its copy FOR UPDATE; the push's FOR NO KEY UPDATE of the
    global and its UPDATE of non-key columns do not conflict with that, and it locks only its own copy."""
    john = john_doe(conn)
    other = clone(conn, john.global_asset, john.project)
    update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    with psycopg.connect(db_url) as syncer, psycopg.connect(db_url, autocommit=True) as pusher:
        pusher.execute("set lock_timeout = '10s'")  # a wait would fail the test, never hang it
        assert syncer.execute("select sync_project_asset(%s)", [other]).fetchone() is not None
        assert push(pusher, john.copy, ["description"]) == 3
        syncer.commit()
    assert project_asset(conn, other)["global_version"] == 2
    assert project_asset(conn, john.copy)["global_version"] == 3
    assert sync(conn, other)["updated_fields"] == ["description"]
    assert project_asset(conn, other)["description"] == TORN


def test_a_fan_out_waits_for_a_push_and_then_gets_its_version(conn: Conn, db_url: str) -> None:
    john = john_doe(conn)
    other = clone(conn, john.global_asset, john.project)
    update(conn, "project_assets", john.copy, description=TORN)
    with psycopg.connect(db_url) as pusher, psycopg.connect(db_url, autocommit=True) as syncer:
        assert push(pusher, john.copy, ["description"]) == 2  # the transaction holds the global and the copy
        pid = syncer.info.backend_pid
        result: dict[str, Any] = {}

        def run() -> None:
            result["count"] = scalar(syncer, "select sync_global_asset(%s)", [john.global_asset])

        thread = threading.Thread(target=run)
        thread.start()
        wait_until_blocked(conn, pid, pusher.info.backend_pid)
        pusher.commit()
        thread.join(30)
        assert not thread.is_alive()
    assert result == {"count": 2}
    assert project_asset(conn, other)["description"] == TORN
    assert project_asset(conn, john.copy)["overridden_fields"] == []
