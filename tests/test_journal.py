"""The journal (CONTRACT.md, Part 3): project_asset_changes, project_asset_overrides() and undo_project_asset_change().

Every kind of row with its before and after; nothing written where nothing changed; undo of each kind puts
back exactly the prior state (values, overrides, conflicts, global_version); undo refused after a later edit
(also an edit of an already-overridden field, which the journal does not record), and after an undo; redo;
an undo concurrent with a sync; tenants; clients cannot write the journal.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from blocking import wait_until_blocked
from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR, TORN, john_doe
from support import Conn, add_column, project_asset, refresh, scalar, sqlstate_of, sync, update

STATE_COLUMNS = "name, description, image_key_url, global_asset_id, global_version, overridden_fields, sync_conflicts"


def changes(conn: Conn, copy: UUID) -> list[dict[str, Any]]:
    rows = conn.execute(
        "select id, kind, fields, before, after, undoes, actor, db_role, application_name, transaction_id "
        "from project_asset_changes where project_asset_id = %s order by id",
        [copy],
    ).fetchall()
    keys = ("id", "kind", "fields", "before", "after", "undoes", "actor", "db_role", "application_name", "txid")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def last(conn: Conn, copy: UUID) -> dict[str, Any]:
    return changes(conn, copy)[-1]


def state(conn: Conn, copy: UUID) -> tuple[Any, ...]:
    row = conn.execute(f"select {STATE_COLUMNS} from project_assets where id = %s", [copy]).fetchone()
    assert row is not None
    return tuple(row)


def undo(conn: Conn, change_id: int) -> int:
    return int(scalar(conn, "select undo_project_asset_change(%s)", [change_id]))


def field(value: Any, overridden: bool, conflict: Any = None) -> dict[str, Any]:
    """A journal field entry; value None means SQL NULL (the key is absent)."""
    entry: dict[str, Any] = {"overridden": overridden, "conflict": conflict}
    if value is not None:
        entry["value"] = value
    return entry


def test_a_clone_is_a_link_row_with_both_keys_null_before(conn: Conn) -> None:
    john = john_doe(conn)
    [row] = changes(conn, john.copy)
    assert row["kind"] == "link"
    assert row["fields"] == []  # same values, nothing overridden: only the link moved
    assert row["before"] == {"global_version": None, "global_asset_id": None}
    assert row["after"] == {"global_version": 1, "global_asset_id": str(john.global_asset)}
    assert row["db_role"] == scalar(conn, "select current_user")
    assert row["txid"] > 0


def test_the_first_mark_writes_one_override_row_and_later_edits_none(conn: Conn) -> None:
    john = john_doe(conn)
    conn.execute("set application_name = 'storyboard-ui'")
    update(conn, "project_assets", john.copy, description=TORN)
    row = last(conn, john.copy)
    assert (row["kind"], row["fields"]) == ("override", ["description"])
    assert row["before"] == {"description": field(CLEAN, False)}
    assert row["after"] == {"description": field(TORN, True)}
    assert row["application_name"] == "storyboard-ui"
    count = len(changes(conn, john.copy))
    update(conn, "project_assets", john.copy, description=TORN + "!")  # already overridden: not journaled
    update(conn, "project_assets", john.copy, name="John Doe")  # no change at all
    assert len(changes(conn, john.copy)) == count


def test_an_update_that_removes_and_adds_names_writes_unprotect_then_override(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    conn.execute(
        "update project_assets set overridden_fields = '{}', image_key_url = 'local.png' where id = %s", [john.copy]
    )
    unprotect, override = changes(conn, john.copy)[-2:]
    assert (unprotect["kind"], unprotect["fields"]) == ("unprotect", ["description"])
    assert unprotect["after"]["description"]["overridden"] is False
    assert (override["kind"], override["fields"]) == ("override", ["image_key_url"])
    assert override["before"] == {"image_key_url": field(BLACK_HAIR, False)}


def test_a_sync_writes_one_row_an_up_to_date_sync_none(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, description=GREY, image_key_url=RED_HAIR)
    before_sync = len(changes(conn, john.copy))
    report = sync(conn, john.copy)
    row = last(conn, john.copy)
    assert (row["kind"], row["fields"]) == ("sync", ["description", "image_key_url"])
    assert row["before"]["global_version"] == 1 and row["after"]["global_version"] == 2
    assert row["before"]["image_key_url"] == field(BLACK_HAIR, False)
    assert row["after"]["image_key_url"] == field(RED_HAIR, False)
    assert row["after"]["description"]["conflict"]["global"] == GREY
    assert "global_asset_id" not in row["after"]  # it did not move
    assert report["status"] == "synced"
    assert sync(conn, john.copy)["status"] == "up_to_date"
    assert len(changes(conn, john.copy)) == before_sync + 1


def test_a_fan_out_writes_one_row_per_changed_copy_in_one_transaction(conn: Conn) -> None:
    john = john_doe(conn)
    second = scalar(conn, "select clone_global_asset(%s, %s)", [john.global_asset, john.project])
    update(conn, "global_assets", john.global_asset, description=GREY)
    assert scalar(conn, "select sync_global_asset(%s)", [john.global_asset]) == 2
    rows = [last(conn, john.copy), last(conn, second)]
    assert {row["kind"] for row in rows} == {"sync"}
    assert rows[0]["txid"] == rows[1]["txid"]
    assert scalar(conn, "select sync_global_asset(%s)", [john.global_asset]) == 2
    assert [last(conn, john.copy)["id"], last(conn, second)["id"]] == [rows[0]["id"], rows[1]["id"]]


def test_unlink_by_the_client_and_by_deleting_the_global(conn: Conn) -> None:
    john = john_doe(conn)
    other = john_doe(conn, "Project B")
    update(conn, "project_assets", john.copy, global_asset_id=None)
    row = last(conn, john.copy)
    assert row["kind"] == "unlink"
    assert row["before"]["global_asset_id"] == str(john.global_asset) and row["after"]["global_asset_id"] is None
    conn.execute("delete from global_assets where id = %s", [other.global_asset])
    assert last(conn, other.copy)["kind"] == "unlink"


def test_undo_of_each_kind_puts_back_the_state_before_it(conn: Conn) -> None:
    john = john_doe(conn)
    states = [state(conn, john.copy)]
    update(conn, "project_assets", john.copy, description=TORN)  # override
    states.append(state(conn, john.copy))
    update(conn, "global_assets", john.global_asset, description=GREY, image_key_url=RED_HAIR)
    sync(conn, john.copy)  # sync, with a conflict
    states.append(state(conn, john.copy))
    conn.execute("select resolve_sync_conflict(%s, 'description', 'take_global')", [john.copy])  # resolve
    states.append(state(conn, john.copy))
    update(conn, "project_assets", john.copy, name="Johnny")  # override of another field
    states.append(state(conn, john.copy))
    conn.execute("select revert_project_asset_fields(%s)", [john.copy])  # revert
    states.append(state(conn, john.copy))
    update(conn, "project_assets", john.copy, global_asset_id=None)  # unlink
    kinds = [row["kind"] for row in changes(conn, john.copy)]
    assert kinds == ["link", "override", "sync", "resolve", "override", "revert", "unlink"]
    # Newest first, each undo brings back the state before its change (last_synced_at and updated_at aside).
    for row, expected in zip(reversed(changes(conn, john.copy)[1:]), reversed(states), strict=True):
        undo(conn, row["id"])
        assert state(conn, john.copy) == expected, row["kind"]
    assert last(conn, john.copy)["kind"] == "undo"


def test_undo_of_a_link_makes_a_never_linked_copy_local(conn: Conn) -> None:
    john = john_doe(conn)
    [link] = changes(conn, john.copy)
    undo(conn, link["id"])
    row = project_asset(conn, john.copy)
    assert (row["global_asset_id"], row["global_version"]) == (None, None)
    assert scalar(conn, "select state from project_asset_sync_status where project_asset_id = %s", [john.copy]) == (
        "local"
    )


def test_undo_of_an_undo_redoes_and_a_second_undo_is_refused(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    sync(conn, john.copy)
    synced = state(conn, john.copy)
    sync_row = last(conn, john.copy)
    undo_id = undo(conn, sync_row["id"])
    assert project_asset(conn, john.copy)["global_version"] == 1  # the next sync pulls again
    assert sqlstate_of(conn, "select undo_project_asset_change(%s)", [sync_row["id"]]) == "55000"
    undo(conn, undo_id)  # redo
    assert state(conn, john.copy) == synced
    assert sync(conn, john.copy)["status"] == "up_to_date"


def test_undo_is_refused_after_a_later_edit_even_of_an_overridden_field(conn: Conn) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    override = last(conn, john.copy)
    update(conn, "project_assets", john.copy, description=TORN + " again")  # not journaled
    before = state(conn, john.copy)
    error = None
    try:
        undo(conn, override["id"])
    except psycopg.Error as exc:
        error = exc
    assert error is not None and error.sqlstate == "55000"
    assert "description" in (error.diag.message_primary or "")
    assert state(conn, john.copy) == before


def test_null_and_not_found_and_other_tenants(conn: Conn, db_url: str) -> None:
    john = john_doe(conn)
    assert sqlstate_of(conn, "select undo_project_asset_change(null)") == "22004"
    assert sqlstate_of(conn, "select undo_project_asset_change(987654321)") == "P0002"
    assert sqlstate_of(conn, "select * from project_asset_overrides(null)") == "22004"
    role = f"journal_api_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    conn.execute("select assetsync.grant_to(%s)", [role])
    try:
        with psycopg.connect(db_url, autocommit=True) as stranger:
            stranger.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            stranger.execute(
                "select set_config('request.jwt.claims', %s, false)", [json.dumps({"sub": str(uuid.uuid4())})]
            )
            [link] = changes(conn, john.copy)
            assert changes(stranger, john.copy) == []
            assert sqlstate_of(stranger, "select undo_project_asset_change(%s)", [link["id"]]) == "P0002"
            assert sqlstate_of(stranger, "select * from project_asset_overrides(%s)", [john.copy]) == "P0002"
    finally:
        conn.execute("select assetsync.revoke_from(%s)", [role])
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_clients_cannot_write_the_journal(conn: Conn) -> None:
    john = john_doe(conn)
    [link] = changes(conn, john.copy)
    assert sqlstate_of(
        conn, "insert into project_asset_changes (project_asset_id, kind) values (%s, 'sync')", [john.copy]
    ) == "42501"
    assert sqlstate_of(conn, "update project_asset_changes set kind = 'sync' where id = %s", [link["id"]]) == "42501"
    assert sqlstate_of(conn, "delete from project_asset_changes where id = %s", [link["id"]]) == "42501"
    conn.execute("delete from project_assets where id = %s", [john.copy])  # the journal goes with its copy
    assert changes(conn, john.copy) == []


def test_overrides_say_who_when_and_what_was_inherited(conn: Conn) -> None:
    john = john_doe(conn)
    user = uuid.uuid4()
    with conn.transaction():
        conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": str(user)})])
        conn.execute("set local application_name = 'psql'")
        update(conn, "project_assets", john.copy, description=TORN)
    update(conn, "global_assets", john.global_asset, description=GREY)
    rows = conn.execute(
        "select field, local_value, inherited_value, global_value, overridden_by, application_name "
        "from project_asset_overrides(%s)",
        [john.copy],
    ).fetchall()
    assert rows == [("description", TORN, CLEAN, GREY, user, "psql")]


def test_a_json_null_stays_distinct_from_sql_null_in_the_journal(conn: Conn) -> None:
    add_column(conn, "meta", "jsonb")
    refresh(conn)
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, meta=Jsonb(None))  # SQL NULL -> JSON null: an override
    row = last(conn, john.copy)
    assert row["before"]["meta"] == field(None, False)  # no "value": SQL NULL
    assert row["after"]["meta"] == {"value": None, "overridden": True, "conflict": None}  # JSON null
    undo(conn, row["id"])
    assert scalar(conn, "select meta is null from project_assets where id = %s", [john.copy]) is True


def test_an_undo_waits_for_a_concurrent_sync_of_the_copy(conn: Conn, db_url: str) -> None:
    john = john_doe(conn)
    update(conn, "project_assets", john.copy, description=TORN)
    override = last(conn, john.copy)
    update(conn, "global_assets", john.global_asset, image_key_url=RED_HAIR)
    errors: list[BaseException] = []
    with psycopg.connect(db_url) as syncing, psycopg.connect(db_url, autocommit=True) as undoing:
        syncing.execute("select sync_project_asset(%s)", [john.copy])  # holds the copy's row lock
        pid = undoing.info.backend_pid

        def run_undo() -> None:
            try:
                undoing.execute("select undo_project_asset_change(%s)", [override["id"]])
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=run_undo)
        thread.start()
        wait_until_blocked(conn, pid, syncing.info.backend_pid)
        syncing.commit()
        thread.join(timeout=30)
    assert not thread.is_alive()
    # The sync did not touch description: the override is undone on top of the synced copy.
    assert errors == []
    row = project_asset(conn, john.copy)
    assert (row["description"], row["overridden_fields"], row["image_key_url"]) == (CLEAN, [], RED_HAIR)
