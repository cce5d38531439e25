"""Every PL/pgSQL function of the project passes plpgsql_check with zero findings.

sqlfluff does not look inside function bodies; plpgsql_check does. Trigger functions are
checked once for each table that has a trigger using them, with that trigger's transition tables.
The test reports itself as NOT run, loudly, where the server lacks the extension.
"""

from __future__ import annotations

import warnings
from typing import Any

import psycopg
import pytest

SCHEMAS = ("public", "assetsync")

FUNCTIONS_SQL = """
select p.oid::regprocedure::text as name,
       p.oid,
       p.prorettype = 'pg_catalog.trigger'::regtype as is_trigger,
       coalesce(
           (select jsonb_agg(distinct jsonb_build_array(t.tgrelid::oid, t.tgoldtable, t.tgnewtable))
              from pg_catalog.pg_trigger t
             where t.tgfoid = p.oid and not t.tgisinternal),
           '[]'
       ) as targets
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_language l on l.oid = p.prolang
 where l.lanname = 'plpgsql'
   and n.nspname = any(%s)
   and not exists (
       select from pg_catalog.pg_depend d
        where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
   )
 order by 1
"""

CHECK_SQL = """
select functionid::text, lineno, statement, sqlstate, message, detail, hint, level, position, query, context
  from plpgsql_check_function_tb(%s::oid, %s::oid, extra_warnings => true, security_warnings => true,
                                 oldtable => %s, newtable => %s)
"""


def _finding(name: str, relid: str, row: tuple[Any, ...]) -> str:
    _fid, lineno, statement, sqlstate, message, detail, hint, level, _pos, query, _ctx = row
    parts = [f"{name}{relid}: line {lineno} ({statement}) {level} {sqlstate}: {message}"]
    parts += [f"    detail: {detail}"] if detail else []
    parts += [f"    hint: {hint}"] if hint else []
    parts += [f"    query: {query}"] if query else []
    return "\n".join(parts)


def test_every_plpgsql_function_passes_plpgsql_check(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("select exists (select from pg_available_extensions where name = 'plpgsql_check')").fetchone()
    if not (row and row[0]):
        version = conn.execute("select current_setting('server_version')").fetchone()
        pytest.skip(
            "plpgsql_check was NOT run: the extension is not available on this server "
            f"(PostgreSQL {version[0] if version else '?'}). Get it with "
            "`apt-get install postgresql-15-plpgsql-check` and run the suite with "
            "PG_BIN=/usr/lib/postgresql/15/bin (as .ci/run does)."
        )
    conn.execute("create extension if not exists plpgsql_check")
    findings: list[str] = []
    unattached: list[str] = []
    checked = 0
    for name, oid, is_trigger, triggers in conn.execute(FUNCTIONS_SQL, (list(SCHEMAS),)).fetchall():
        targets: list[tuple[int, str | None, str | None]] = (
            [(t[0], t[1], t[2]) for t in triggers] if is_trigger else [(0, None, None)]
        )
        if is_trigger and not targets:
            unattached.append(name)
            continue
        for relid, oldtable, newtable in targets:
            label = ""
            if relid:
                table = conn.execute("select %s::oid::regclass::text", (relid,)).fetchone()
                label = f" on {table[0] if table else relid}"
            for finding in conn.execute(CHECK_SQL, (oid, relid, oldtable, newtable)).fetchall():
                findings.append(_finding(name, label, finding))
            checked += 1
    if unattached:
        warnings.warn(
            f"trigger functions with no trigger attached were not checked: {', '.join(unattached)}",
            stacklevel=1,
        )
    print(f"plpgsql_check: {checked} function check(s), {len(findings)} finding(s)")
    assert not findings, "plpgsql_check findings:\n" + "\n".join(findings)
