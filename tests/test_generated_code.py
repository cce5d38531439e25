"""The generated code under review: pg_get_functiondef() of every generated function, diffed against a golden file.

asset_sync_refresh() writes PL/pgSQL from the catalogue. Its output is committed as tests/generated_functions.sql
so that a change to a generator shows its effect in review, as a change to written code would. When a change is
meant, rewrite the file with `make golden` and commit the diff with the generator change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from support import Conn

GOLDEN_FILE = Path(__file__).with_name("generated_functions.sql")

GENERATED = """
select pg_catalog.pg_get_functiondef(p.oid)
from pg_catalog.pg_proc as p
where p.oid = any(array[
    'assetsync.synced_fields()',
    'assetsync.tg_project_assets__track()',
    'assetsync.tg_global_assets__version()',
    'assetsync.tg_global_assets__record_version()',
    'assetsync.pull(uuid[])',
    'assetsync.pull_one(uuid)',
    'assetsync.pull_global(uuid)',
    'assetsync.diff(uuid)',
    'assetsync.revert_fields(uuid, text[])',
    'assetsync.apply_snapshot(uuid, jsonb)',
    'assetsync.clone(uuid, uuid)'
]::regprocedure[])
order by p.oid::regprocedure::text
"""


def generated_code(conn: Conn) -> str:
    with conn.transaction():
        conn.execute("set local search_path = pg_catalog")  # every name printed qualified the same way
        bodies = [str(row[0]).rstrip("\n") for row in conn.execute(GENERATED)]
    return "\n\n".join(bodies) + "\n"


def test_generated_code_matches_the_golden_file(conn: Conn) -> None:
    actual = generated_code(conn)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_FILE.write_text(actual)
    expected = GOLDEN_FILE.read_text() if GOLDEN_FILE.exists() else ""
    diff = "\n".join(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "tests/generated_functions.sql", "database", lineterm=""
        )
    )
    assert actual == expected, (
        "the generated code differs from tests/generated_functions.sql; if the change is meant, rewrite it with "
        "`make golden` and commit it with the generator change:\n" + diff
    )
