"""Every `sql` block of README.md, then of each docs/*.md (by name), runs in order against a migrated database.

So the documentation cannot rot: a renamed function or a changed signature fails here.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pg import REPO_ROOT

# The README first: the pages of docs/ may build on the story its blocks tell.
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.DOTALL | re.MULTILINE)


def sql_blocks(path: Path) -> list[str]:
    return SQL_BLOCK.findall(path.read_text(encoding="utf-8"))


def test_the_docs_have_sql_blocks() -> None:
    # A page of docs/ without sql blocks is fine; these two must teach with runnable examples.
    counts = {path.name: len(sql_blocks(path)) for path in DOCS}
    assert counts["README.md"] >= 3 and counts["dba.md"] >= 3, counts


def test_every_sql_block_runs_in_order(conn: psycopg.Connection[Any]) -> None:
    # The docs name Supabase's `authenticated`; use a role of this test instead, granted as `--grant-to`
    # grants, so that a shared server (TEST_DATABASE_URL) gets no role it did not ask for.
    role = f"docs_api_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    conn.execute("select assetsync.grant_to(%s)", [role])  # what `assetsync migrate --grant-to` runs
    try:
        for path in DOCS:
            for number, block in enumerate(sql_blocks(path), start=1):
                text = block.replace(" authenticated;", f" {role};").replace(" authenticated\n", f" {role}\n")
                try:
                    conn.execute(text)
                except psycopg.Error as error:
                    raise AssertionError(f"{path.name} sql block {number} failed: {error}\n{block}") from error
        # The story the README tells holds: A reverted its edit, then the library rolled back (version 4).
        state = conn.execute(
            "select state, overridden_fields, latest_version from project_asset_sync_status"
            " where project_asset_id = %s",
            ["c0000000-0000-4000-8000-00000000000a"],
        ).fetchone()
        assert state == ("behind", [], 4)
        synced = conn.execute("select assetsync.synced_fields()").fetchone()
        assert synced is not None and "mood" in synced[0]
    finally:
        conn.execute("select assetsync.revoke_from(%s)", [role])
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
