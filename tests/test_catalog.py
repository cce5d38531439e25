"""The catalogue of a migrated database: comments, function attributes, row-level security, and a schema snapshot.

Contract (Tables; Security): every table, column, view, function and trigger carries a COMMENT a DBA can read in
psql; every function runs with the caller's rights and a pinned search_path; row-level security is enabled on the
four tables. The schema snapshot (tests/schema_snapshot.txt) makes every schema change visible in review:
regenerate it with `UPDATE_SCHEMA_SNAPSHOT=1 make test PYTEST_ARGS=tests/test_catalog.py` and commit the diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from support import TABLES, Conn

SCHEMAS = ["public", "assetsync"]
SNAPSHOT_FILE = Path(__file__).with_name("schema_snapshot.txt")

# Objects that belong to an extension are the extension's business, not ours.
NOT_FROM_AN_EXTENSION = """
not exists (
    select from pg_catalog.pg_depend as d
    where d.classid = {catalog}::regclass and d.objid = {oid} and d.deptype = 'e'
)
"""

MISSING_COMMENTS = {
    "relation": f"""
        select c.oid::regclass::text || ' (' || case c.relkind when 'v' then 'view' else 'table' end || ')'
        from pg_catalog.pg_class as c
        where c.relnamespace::regnamespace::text = any(%(schemas)s)
            and c.relkind in ('r', 'p', 'v', 'm', 'f')
            and pg_catalog.obj_description(c.oid, 'pg_class') is null
            and {NOT_FROM_AN_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}
        order by 1
    """,
    "column": f"""
        select c.oid::regclass::text || '.' || pg_catalog.quote_ident(a.attname)
        from pg_catalog.pg_class as c
        join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relnamespace::regnamespace::text = any(%(schemas)s)
            and c.relkind in ('r', 'p', 'v', 'm', 'f')
            and pg_catalog.col_description(c.oid, a.attnum) is null
            and {NOT_FROM_AN_EXTENSION.format(catalog="'pg_class'", oid="c.oid")}
        order by 1
    """,
    "function": f"""
        select p.oid::regprocedure::text
        from pg_catalog.pg_proc as p
        where p.pronamespace::regnamespace::text = any(%(schemas)s)
            and pg_catalog.obj_description(p.oid, 'pg_proc') is null
            and {NOT_FROM_AN_EXTENSION.format(catalog="'pg_proc'", oid="p.oid")}
        order by 1
    """,
    "trigger": """
        select t.tgname || ' on ' || t.tgrelid::regclass::text
        from pg_catalog.pg_trigger as t
        join pg_catalog.pg_class as c on c.oid = t.tgrelid
        where c.relnamespace::regnamespace::text = any(%(schemas)s)
            and not t.tgisinternal
            and pg_catalog.obj_description(t.oid, 'pg_trigger') is null
        order by 1
    """,
}

OUR_FUNCTIONS = f"""
    select p.oid::regprocedure::text as signature, p.prosecdef, p.proconfig
    from pg_catalog.pg_proc as p
    where p.pronamespace::regnamespace::text = any(%(schemas)s)
        and {NOT_FROM_AN_EXTENSION.format(catalog="'pg_proc'", oid="p.oid")}
    order by 1
"""


@pytest.fixture(scope="module")
def catalog(db: Conn) -> Conn:
    """The module's shared database (conftest: db): these tests only read the catalogue."""
    return db


def rows(conn: Conn, query: str) -> list[str]:
    return [str(row[0]) for row in conn.execute(query, {"schemas": SCHEMAS})]


@pytest.mark.parametrize("kind", list(MISSING_COMMENTS))
def test_every_object_has_a_comment(catalog: Conn, kind: str) -> None:
    missing = rows(catalog, MISSING_COMMENTS[kind])
    assert missing == [], f"{kind}s without COMMENT ON: " + ", ".join(missing)


def test_the_comment_check_reports_an_object_without_one(catalog: Conn) -> None:
    """The catalogue queries above are not vacuous."""
    with catalog.transaction(force_rollback=True):
        catalog.execute("create table public.uncommented (x int)")
        catalog.execute("create function public.uncommented() returns int language sql return 1")
        assert rows(catalog, MISSING_COMMENTS["relation"]) == ["uncommented (table)"]
        assert rows(catalog, MISSING_COMMENTS["column"]) == ["uncommented.x"]
        assert rows(catalog, MISSING_COMMENTS["function"]) == ["uncommented()"]


def test_no_function_is_security_definer(catalog: Conn) -> None:
    definers = [signature for signature, definer, _ in catalog.execute(OUR_FUNCTIONS, {"schemas": SCHEMAS}) if definer]
    assert definers == [], "SECURITY DEFINER functions: " + ", ".join(definers)


def test_every_function_pins_its_search_path(catalog: Conn) -> None:
    functions = catalog.execute(OUR_FUNCTIONS, {"schemas": SCHEMAS}).fetchall()
    assert len(functions) > 20, "the query finds the project's functions"
    unpinned = [
        signature
        for signature, _, config in functions
        if not any(setting.startswith("search_path=") for setting in config or [])
    ]
    assert unpinned == [], "functions without SET search_path: " + ", ".join(unpinned)


def test_row_level_security_is_enabled_on_the_four_tables(catalog: Conn) -> None:
    enabled = dict(
        catalog.execute(
            "select c.relname, c.relrowsecurity from pg_catalog.pg_class as c"
            " where c.relnamespace = 'public'::regnamespace and c.relname = any(%s)",
            [list(TABLES)],
        ).fetchall()
    )
    assert enabled == dict.fromkeys(TABLES, True)


SNAPSHOT_QUERIES = {
    "tables and views": """
        select format('%%s %%s%%s', case c.relkind when 'v' then 'view' else 'table' end, c.oid::regclass,
                      case when c.relrowsecurity then ' row level security' else '' end
                      || case when c.relforcerowsecurity then ' forced' else '' end)
        from pg_catalog.pg_class as c
        where c.relnamespace::regnamespace::text = any(%(schemas)s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by 1
    """,
    "columns": """
        select format('column %%s.%%s %%s%%s%%s%%s', c.oid::regclass, pg_catalog.quote_ident(a.attname),
                      pg_catalog.format_type(a.atttypid, a.atttypmod),
                      case when a.attnotnull then ' not null' else '' end,
                      case a.attidentity when 'a' then ' generated always as identity'
                                         when 'd' then ' generated by default as identity' else '' end,
                      coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''))
        from pg_catalog.pg_class as c
        join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_catalog.pg_attrdef as d on d.adrelid = c.oid and d.adnum = a.attnum
        where c.relnamespace::regnamespace::text = any(%(schemas)s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by c.oid::regclass::text, a.attnum
    """,
    "constraints": """
        select format('constraint %%s on %%s: %%s', pg_catalog.quote_ident(k.conname), k.conrelid::regclass,
                      pg_catalog.pg_get_constraintdef(k.oid))
        from pg_catalog.pg_constraint as k
        where k.connamespace::regnamespace::text = any(%(schemas)s) and k.contype in ('c', 'f', 'p', 'u', 'x')
        order by 1
    """,
    "indexes": """
        select 'index ' || pg_catalog.pg_get_indexdef(i.indexrelid)
        from pg_catalog.pg_index as i
        join pg_catalog.pg_class as c on c.oid = i.indrelid
        where c.relnamespace::regnamespace::text = any(%(schemas)s)
        order by 1
    """,
    "triggers": """
        select 'trigger ' || pg_catalog.pg_get_triggerdef(t.oid)
        from pg_catalog.pg_trigger as t
        join pg_catalog.pg_class as c on c.oid = t.tgrelid
        where c.relnamespace::regnamespace::text = any(%(schemas)s) and not t.tgisinternal
        order by 1
    """,
    "policies": """
        select format('policy %%s on %%s for %%s to %%s', pg_catalog.quote_ident(p.polname), p.polrelid::regclass,
                      case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                                    when 'd' then 'delete' else 'all' end,
                      case when p.polroles = '{0}' then 'public'
                           else (select string_agg(r::regrole::text, ', ') from unnest(p.polroles) as r) end)
        from pg_catalog.pg_policy as p
        join pg_catalog.pg_class as c on c.oid = p.polrelid
        where c.relnamespace::regnamespace::text = any(%(schemas)s)
        order by 1
    """,
    "functions": """
        select format('function %%s(%%s) returns %%s, %%s, %%s, %%s%%s', p.oid::regproc,
                      pg_catalog.pg_get_function_arguments(p.oid),
                      pg_catalog.pg_get_function_result(p.oid),
                      l.lanname,
                      case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
                      case when p.prosecdef then 'security definer' else 'security invoker' end,
                      coalesce(', set ' || array_to_string(p.proconfig, ', set '), ''))
        from pg_catalog.pg_proc as p
        join pg_catalog.pg_language as l on l.oid = p.prolang
        where p.pronamespace::regnamespace::text = any(%(schemas)s)
        order by 1
    """,
}


def schema_snapshot(conn: Conn) -> str:
    """The schema of public and assetsync as stable text: same on every server version and connection."""
    lines: list[str] = []
    with conn.transaction():
        conn.execute("set local search_path = pg_catalog")  # every name qualified the same way
        for kind, query in SNAPSHOT_QUERIES.items():
            lines.append(f"-- {kind}")
            lines.extend(rows(conn, query))
            lines.append("")
    return "\n".join(lines)


def test_schema_matches_the_committed_snapshot(catalog: Conn) -> None:
    actual = schema_snapshot(catalog)
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOT") == "1":
        SNAPSHOT_FILE.write_text(actual)
    expected = SNAPSHOT_FILE.read_text() if SNAPSHOT_FILE.exists() else ""
    diff = "\n".join(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "tests/schema_snapshot.txt", "database", lineterm=""
        )
    )
    assert actual == expected, (
        "the schema differs from tests/schema_snapshot.txt; if the change is meant, regenerate it with "
        "UPDATE_SCHEMA_SNAPSHOT=1 and commit it:\n" + diff
    )
