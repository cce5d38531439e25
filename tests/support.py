"""Small helpers shared by the SQL behaviour tests: build rows, read them back, snapshot tables.

Everything goes through plain SQL on a psycopg connection, as any client would.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[Any]

TABLES = ("projects", "global_assets", "global_asset_versions", "project_assets")
SYNCED_FIELDS = ["name", "asset_type", "description", "image_key_url", "visual_style_capsule_id"]


def new_project(conn: Conn, name: str = "Project", owner_id: UUID | str | None = None) -> UUID:
    row = conn.execute(
        "insert into projects (name, owner_id) values (%s, coalesce(%s, request_user_id())) returning id",
        (name, owner_id),
    ).fetchone()
    assert row is not None
    return row[0]


def new_global(conn: Conn, name: str = "John Doe", asset_type: str = "character", **fields: Any) -> UUID:
    columns = ["name", "asset_type", *fields]
    values = [name, asset_type, *fields.values()]
    query = psycopg.sql.SQL("insert into global_assets ({}) values ({}) returning id").format(
        psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(c) for c in columns),
        psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() for _ in columns),
    )
    row = conn.execute(query, values).fetchone()
    assert row is not None
    return row[0]


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


def sqlstate_of(conn: Conn, query: str, params: Any = None) -> str | None:
    """Run one statement; return the SQLSTATE it failed with, or None when it succeeded."""
    try:
        conn.execute(query, params)
    except psycopg.Error as error:
        if not conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            conn.rollback()
        return error.sqlstate
    return None


def tables_snapshot(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the four tables, in a stable order: compare before and after to prove 'changed nothing'."""
    snapshot = {}
    for table in TABLES:
        rows = conn.execute(
            psycopg.sql.SQL("select to_jsonb(t)::text from {} as t order by 1").format(psycopg.sql.Identifier(table))
        ).fetchall()
        snapshot[table] = rows
    return snapshot
