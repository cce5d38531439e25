"""Schema changes: synced fields follow the catalogue through asset_sync_refresh().

Contract (Tables, Synced fields; Behaviour, Schema changes): a column added to both tables with the same name
and type becomes a synced field (tracked, versioned, synced, in the diff) with no edit to any function, at the
latest after asset_sync_refresh(); one with the same name but different types is not, and refresh says so
with a WARNING; a synced column dropped from both tables needs no CASCADE, and after refresh its name is gone
from every overridden_fields and sync_conflicts; refresh does no work when nothing changed, and is harmless to
call at any time.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from psycopg import sql

from story import BLACK_HAIR, CLEAN, GREY, RED_HAIR, TORN
from support import (
    SYNCED_FIELDS,
    Conn,
    Notice,
    add_column,
    clone,
    error_of,
    global_asset,
    new_global,
    new_project,
    new_project_asset,
    project_asset,
    refresh,
    scalar,
    sync,
    update,
    versions,
)


def set_column(conn: Conn, table: str, row_id: UUID, column: str, value_sql: str) -> None:
    conn.execute(
        sql.SQL("update {} set {} = {} where id = %s").format(
            sql.Identifier(table), sql.Identifier(column), sql.SQL(value_sql)
        ),
        [row_id],
    )


def as_jsonb(conn: Conn, table: str, row_id: UUID, column: str) -> Any:
    query = sql.SQL("select to_jsonb(t.{}) from {} as t where t.id = %s").format(
        sql.Identifier(column), sql.Identifier(table)
    )
    return scalar(conn, query.as_string(conn), [row_id])


def diff_fields(conn: Conn, project_asset_id: UUID) -> list[str]:
    return [row[0] for row in conn.execute("select field from project_asset_diff(%s)", [project_asset_id])]


def warnings_of(notices: list[Notice]) -> list[str]:
    return [f"{n.message} {n.detail}" for n in notices if n.severity == "WARNING"]


@pytest.mark.parametrize(
    ("column", "type_sql", "first", "second"),
    [
        pytest.param("Mood Board", "text", "'calm'", "'angry'", id="quoted-name"),
        pytest.param("order", "integer", "1", "2", id="reserved-word"),
        pytest.param("meta", "json", """'{"a": 1}'""", """'{"a": 2}'""", id="json"),
        pytest.param("tags", "json[]", """array['{"a": 1}'::json]""", """array['{"a": 2}'::json]""", id="json-array"),
    ],
)
def test_a_column_added_to_both_tables_becomes_a_synced_field(
    conn: Conn, column: str, type_sql: str, first: str, second: str
) -> None:
    add_column(conn, column, type_sql)
    assert warnings_of(refresh(conn)) == []
    john = new_global(conn, "John Doe", description=CLEAN)
    set_column(conn, "global_assets", john, column, first)
    assert versions(conn, john)[-1]["changed_fields"] == [column], "versioned"
    assert as_jsonb(conn, "global_assets", john, column) == versions(conn, john)[-1]["snapshot"][column]

    project = new_project(conn)
    edited, plain = clone(conn, john, project), clone(conn, john, project)
    assert as_jsonb(conn, "project_assets", plain, column) == as_jsonb(conn, "global_assets", john, column), "cloned"
    set_column(conn, "project_assets", edited, column, second)
    assert project_asset(conn, edited)["overridden_fields"] == [column], "tracked"

    set_column(conn, "global_assets", john, column, second)
    assert global_asset(conn, john)["version"] == 3
    diff = conn.execute("select field, state from project_asset_diff(%s)", [plain]).fetchall()
    assert diff[-1] == (column, "will_update"), "in the diff, last in column order"
    report = sync(conn, plain)
    assert report["updated_fields"] == [column], "synced"
    assert as_jsonb(conn, "project_assets", plain, column) == as_jsonb(conn, "global_assets", john, column)
    assert project_asset(conn, plain)["overridden_fields"] == []


def test_same_name_with_different_types_is_not_synced_and_refresh_warns(conn: Conn) -> None:
    add_column(conn, "mood", "text", "integer")
    add_column(conn, "code", "varchar(10)", "varchar(20)")
    warnings = warnings_of(refresh(conn))
    for column in ("mood", "code"):
        assert any(column in message for message in warnings), f"a WARNING names {column}: {warnings}"

    john = new_global(conn, "John Doe")
    copy = clone(conn, john, new_project(conn))
    update(conn, "project_assets", copy, mood="calm", code="A1")
    update(conn, "global_assets", john, mood=7, code="B2")
    assert project_asset(conn, copy)["overridden_fields"] == [], "not tracked"
    assert global_asset(conn, john)["version"] == 1, "not versioned"
    assert diff_fields(conn, copy) == SYNCED_FIELDS, "not in the diff"
    error = error_of(conn, "update project_assets set overridden_fields = '{mood}' where id = %s", [copy])
    assert error is not None and error.sqlstate == "23514", "not a synced field name"
    sync(conn, copy)
    assert (project_asset(conn, copy)["mood"], project_asset(conn, copy)["code"]) == ("calm", "A1"), "not synced"


def test_dropping_a_synced_column_needs_no_cascade_and_refresh_forgets_its_name(conn: Conn) -> None:
    project = new_project(conn)
    john = new_global(conn, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    copy = clone(conn, john, project)
    update(conn, "project_assets", copy, image_key_url=RED_HAIR)
    update(conn, "project_assets", copy, description=TORN)
    update(conn, "project_assets", copy, name="Johnny")
    update(conn, "global_assets", john, description=GREY, image_key_url="https://img.example/john-bald.png")
    sync(conn, copy)
    assert set(project_asset(conn, copy)["sync_conflicts"]) == {"description", "image_key_url"}
    local = new_project_asset(conn, project, "Crate")
    update(conn, "project_assets", local, image_key_url=BLACK_HAIR)

    conn.execute("alter table project_assets drop column image_key_url")
    conn.execute("alter table global_assets drop column image_key_url")
    refresh(conn)

    row = project_asset(conn, copy)
    assert row["overridden_fields"] == ["description", "name"], "the other names stay, in their order"
    assert set(row["sync_conflicts"]) == {"description"}
    assert project_asset(conn, local)["overridden_fields"] == []
    assert (
        scalar(
            conn,
            "select count(*) from project_assets"
            " where 'image_key_url' = any(overridden_fields) or sync_conflicts ? 'image_key_url'",
        )
        == 0
    )

    remaining = [field for field in SYNCED_FIELDS if field != "image_key_url"]
    assert diff_fields(conn, copy) == remaining
    update(conn, "global_assets", john, visual_style_capsule_id="00000000-0000-0000-0000-000000000001")
    assert versions(conn, john)[-1]["changed_fields"] == ["visual_style_capsule_id"]
    assert set(versions(conn, john)[-1]["snapshot"]) == set(remaining)
    assert sync(conn, copy)["updated_fields"] == ["visual_style_capsule_id"]


def catalogue_state(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """Row versions (ctid, xmin) of the generated code and of every row of the four tables."""
    state = {
        "functions": conn.execute(
            "select p.oid::regprocedure::text, p.xmin::text, p.ctid::text from pg_proc as p"
            " where p.pronamespace in ('assetsync'::regnamespace, 'public'::regnamespace) order by 1"
        ).fetchall(),
        "comments": conn.execute(
            "select d.objoid::regprocedure::text, d.xmin::text from pg_description as d"
            " join pg_proc as p on p.oid = d.objoid and d.classoid = 'pg_proc'::regclass"
            " where p.pronamespace = 'assetsync'::regnamespace order by 1"
        ).fetchall(),
    }
    for table in ("projects", "global_assets", "global_asset_versions", "project_assets"):
        state[table] = conn.execute(f"select ctid::text, xmin::text from {table} order by 1").fetchall()
    return state


def test_refresh_does_no_work_when_nothing_changed(conn: Conn) -> None:
    project = new_project(conn)
    john = new_global(conn, "John Doe", description=CLEAN, image_key_url=BLACK_HAIR)
    copy = clone(conn, john, project)
    update(conn, "project_assets", copy, description=TORN, name="Johnny")
    update(conn, "global_assets", john, description=GREY)
    sync(conn, copy)
    clone(conn, john, project)
    generated = {name for name, _, _ in catalogue_state(conn)["functions"]}
    for signature in (
        "assetsync.synced_fields()",
        "assetsync.tg_project_assets__track()",
        "assetsync.tg_global_assets__version()",
        "assetsync.tg_global_assets__record_version()",
        "assetsync.pull(uuid[])",
        "assetsync.diff(uuid)",
    ):
        assert signature in generated

    before = catalogue_state(conn)
    assert warnings_of(refresh(conn)) == []
    assert catalogue_state(conn) == before


def test_refresh_is_harmless_to_call_twice(conn: Conn) -> None:
    john = new_global(conn, "John Doe")
    copy = clone(conn, john, new_project(conn))
    before = catalogue_state(conn)
    add_column(conn, "Mood Board", "text")
    refresh(conn)
    after_first = catalogue_state(conn)
    assert after_first["functions"] != before["functions"], "the first call regenerates the code"
    refresh(conn)
    assert catalogue_state(conn) == after_first
    update(conn, "project_assets", copy, **{"Mood Board": "calm"})
    assert project_asset(conn, copy)["overridden_fields"] == ["Mood Board"]
