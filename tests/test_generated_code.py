"""The generated code under review: every generated function, trigger and view, diffed against a golden file.

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
select
    case c.kind
        when 'function' then pg_catalog.pg_get_functiondef(c.signature::regprocedure)
        when 'view' then 'VIEW ' || c.signature || E'\n' || pg_catalog.pg_get_viewdef(c.signature::regclass)
        else c.body
    end
from assetsync.generated_code as c
order by c.kind, c.signature
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
