"""Small helpers shared by the SQL behaviour tests: build rows, read them back, snapshot tables.

Everything goes through plain SQL on a psycopg connection, as any client would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[Any]

TABLES = ("projects", "global_assets", "global_asset_versions", "project_assets")
SYNCED_FIELDS = ["name", "asset_type", "description", "image_key_url", "visual_style_capsule_id"]


def insert(conn: Conn, table: str, values: dict[str, Any]) -> UUID:
    """INSERT one row with these column values (any names: they are quoted); return its id."""
    query = psycopg.sql.SQL("insert into {} ({}) values ({}) returning id").format(
        psycopg.sql.Identifier(table),
        psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(c) for c in values),
        psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() for _ in values),
    )
    row = conn.execute(query, list(values.values())).fetchone()
    assert row is not None
    return row[0]


def new_project(conn: Conn, name: str = "Project", owner_id: UUID | str | None = None) -> UUID:
    row = conn.execute(
        "insert into projects (name, owner_id) values (%s, coalesce(%s, request_user_id())) returning id",
        (name, owner_id),
    ).fetchone()
    assert row is not None
    return row[0]


def new_global(conn: Conn, name: str = "John Doe", asset_type: str = "character", **fields: Any) -> UUID:
    return insert(conn, "global_assets", {"name": name, "asset_type": asset_type, **fields})


def new_project_asset(
    conn: Conn, project_id: UUID, name: str = "Local", asset_type: str = "prop", **fields: Any
) -> UUID:
    """INSERT a project asset with these columns (never linked, unless `global_asset_id` is among them)."""
    return insert(conn, "project_assets", {"project_id": project_id, "name": name, "asset_type": asset_type, **fields})


def clone(conn: Conn, global_asset_id: UUID, project_id: UUID) -> UUID:
    row = conn.execute("select clone_global_asset(%s, %s)", (global_asset_id, project_id)).fetchone()
    assert row is not None
    return row[0]


def update(conn: Conn, table: str, row_id: UUID, **fields: Any) -> None:
    query = psycopg.sql.SQL("update {} set {} where id = %s").format(
        psycopg.sql.Identifier(table),
        psycopg.sql.SQL(", ").join(
            psycopg.sql.SQL("{} = %s").format(psycopg.sql.Identifier(c)) for c in fields
        ),
    )
    conn.execute(query, [*fields.values(), row_id])


def sync(conn: Conn, project_asset_id: UUID) -> dict[str, Any]:
    """sync_project_asset(id): its report."""
    row = conn.execute("select sync_project_asset(%s)", [project_asset_id]).fetchone()
    assert row is not None
    return row[0]


def fetch(conn: Conn, table: str, row_id: UUID) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(psycopg.sql.SQL("select * from {} where id = %s").format(psycopg.sql.Identifier(table)), [row_id])
        row = cur.fetchone()
    assert row is not None, f"no {table} row {row_id}"
    return row


def project_asset(conn: Conn, row_id: UUID) -> dict[str, Any]:
    return fetch(conn, "project_assets", row_id)


def global_asset(conn: Conn, row_id: UUID) -> dict[str, Any]:
    return fetch(conn, "global_assets", row_id)


def versions(conn: Conn, global_asset_id: UUID) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select * from global_asset_versions where global_asset_id = %s order by version", [global_asset_id]
        )
        return cur.fetchall()


def unexpected_sqlstates(
    conn: Conn, expected: str, statements: Mapping[str, str] | Iterable[str], params: Any = None
) -> list[str]:
    """Run each statement as sqlstate_of does; list those that did not fail with `expected`, as "name: SQLSTATE"
    (the name is the mapping's key, or the statement itself)."""
    named = statements.items() if isinstance(statements, Mapping) else ((s, s) for s in statements)
    states = ((name, sqlstate_of(conn, statement, params)) for name, statement in named)
    return [f"{name}: {state}" for name, state in states if state != expected]


def tables_snapshot(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the four tables, in a stable order: compare before and after to prove 'changed nothing'."""
    snapshot = {}
    for table in TABLES:
        rows = conn.execute(
            psycopg.sql.SQL("select to_jsonb(t)::text from {} as t order by 1").format(psycopg.sql.Identifier(table))
        ).fetchall()
        snapshot[table] = rows
    return snapshot


def scalar(conn: Conn, query: str, params: Any = None) -> Any:
    """The first column of the first row of one query."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, f"no row from: {query}"
    return row[0]


def error_of(conn: Conn, query: str, params: Any = None) -> psycopg.Error | None:
    """Run one statement in its own transaction (a savepoint inside an open one); return its error, or None.

    The connection stays usable either way, also inside `with conn.transaction():`. The whole error lets a test
    read its diag fields after asserting the SQLSTATE.
    """
    try:
        with conn.transaction():
            conn.execute(query, params)
    except psycopg.Error as error:
        return error
    return None


def sqlstate_of(conn: Conn, query: str, params: Any = None) -> str | None:
    """Run one statement as error_of does; return the SQLSTATE it failed with, or None when it succeeded."""
    error = error_of(conn, query, params)
    return None if error is None else error.sqlstate


def add_column(conn: Conn, column: str, project_type: str, global_type: str | None = None) -> None:
    """Add a column (any name: it is quoted) to project_assets and global_assets; the same type unless told."""
    for table, type_sql in (("project_assets", project_type), ("global_assets", global_type or project_type)):
        conn.execute(
            psycopg.sql.SQL("alter table {} add column {} {}").format(
                psycopg.sql.Identifier(table), psycopg.sql.Identifier(column), psycopg.sql.SQL(type_sql)
            )
        )


@dataclass(frozen=True)
class Notice:
    """A NOTICE or WARNING the server sent, copied while psycopg's Diagnostic is still valid."""

    severity: str
    message: str
    detail: str | None


def refresh(conn: Conn) -> list[Notice]:
    """Call asset_sync_refresh(); return the notices and warnings it raised."""
    notices: list[Notice] = []

    def handler(diag: psycopg.errors.Diagnostic) -> None:
        notices.append(Notice(diag.severity_nonlocalized or "", diag.message_primary or "", diag.message_detail))

    conn.add_notice_handler(handler)
    try:
        conn.execute("select asset_sync_refresh()")
    finally:
        conn.remove_notice_handler(handler)
    return notices


# A database per module, emptied after each test: for modules whose tests change rows only. Creating a database
# per test (conftest's conn) costs far more than the tests themselves; emptying four tables costs little.

SCHEMA_FINGERPRINT = """
select pg_catalog.string_agg(a.attrelid::regclass || '.' || a.attname || ' ' || a.atttypid::regtype, ', '
                             order by a.attrelid::regclass::text, a.attnum)
       || ' | ' || pg_catalog.array_to_string(assetsync.synced_fields(), ', ')
from pg_catalog.pg_attribute as a
where a.attrelid in ('public.project_assets'::regclass, 'public.global_assets'::regclass)
    and a.attnum > 0 and not a.attisdropped
"""


@contextmanager
def emptied_after(url: str) -> Iterator[Conn]:
    """An autocommit connection to url; afterwards the four tables are emptied and the schema checked unchanged.

    A test on such a connection may change the schema only inside `with conn.transaction(force_rollback=True):`.
    """
    with psycopg.connect(url, autocommit=True) as admin:
        fingerprint = scalar(admin, SCHEMA_FINGERPRINT)
    connection = psycopg.connect(url, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(psycopg.sql.SQL("truncate {}").format(
                psycopg.sql.SQL(", ").join(
                    psycopg.sql.Identifier("public", table) for table in (*TABLES, "project_asset_changes")
                )
            ))
            assert scalar(admin, SCHEMA_FINGERPRINT) == fingerprint, (
                "the test changed the schema of its module's shared database: change it inside "
                "conn.transaction(force_rollback=True), or use a database of its own"
            )
