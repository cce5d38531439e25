"""Security (CONTRACT.md, Security): two tenants in one database, acting through a non-owner API role.

Each test creates a NOLOGIN role with a unique name, grants it exactly what `assetsync migrate --grant-to ROLE`
grants (assetsync.grant_to(), see docs/supabase.md), and acts as tenant A, tenant B, an anonymous caller (no
claims) or a caller with malformed claims on separate connections: `set role <role>` plus
`set_config('request.jwt.claims', ...)`, as PostgREST does.
A's rows are compared through a superuser snapshot before and after every attempt by another caller.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from support import Conn, sqlstate_of, tables_snapshot, unexpected_sqlstates
from support import scalar as one

TABLES = ("projects", "global_assets", "global_asset_versions", "project_assets")
VIEW = "project_asset_sync_status"

# ---------------------------------------------------------------------------------------------------------------
# The API role and the callers
# ---------------------------------------------------------------------------------------------------------------


def create_role(conn: Conn, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
    return name


def drop_role(conn: Conn, name: str) -> None:
    conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
    conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


@pytest.fixture
def api_role(conn: Conn) -> Iterator[str]:
    """A NOLOGIN role (unique name: roles are cluster-wide) granted what `migrate --grant-to` grants."""
    name = create_role(conn, "assetsync_api")
    try:
        conn.execute("select assetsync.grant_to(%s)", (name,))
        yield name
    finally:
        conn.execute("select assetsync.revoke_from(%s)", (name,))
        drop_role(conn, name)


@pytest.fixture
def bare_role(conn: Conn) -> Iterator[str]:
    """A NOLOGIN role granted nothing: it has only what PUBLIC has."""
    name = create_role(conn, "assetsync_bare")
    try:
        yield name
    finally:
        drop_role(conn, name)


ConnectAs = Callable[..., Conn]


@pytest.fixture
def connect_as(db_url: str, api_role: str) -> Iterator[ConnectAs]:
    """connect_as(claims, role=api_role): a new autocommit connection acting as that caller.

    claims None means the setting is never set (an anonymous caller); any string is stored as is.
    """
    opened: list[Conn] = []

    def connect(claims: str | None, role: str | None = None) -> Conn:
        caller = psycopg.connect(db_url, autocommit=True)
        opened.append(caller)
        caller.execute(sql.SQL("set role {}").format(sql.Identifier(role or api_role)))
        if claims is not None:
            caller.execute("select set_config('request.jwt.claims', %s, false)", (claims,))
        return caller

    yield connect
    for caller in opened:
        caller.close()


def claims_of(user: UUID) -> str:
    return json.dumps({"sub": str(user), "role": "authenticated", "aud": "authenticated"})


@dataclass
class World:
    """Two tenants with rows of every kind; A's project asset is linked, has a conflict and is behind."""

    a_user: UUID
    b_user: UUID
    a_project: UUID
    a_global: UUID
    a_asset: UUID  # linked to a_global, description overridden and in conflict, one version behind
    a_local: UUID  # a local (never linked) asset of A's project
    b_project: UUID
    b_global: UUID
    b_asset: UUID  # linked to b_global


@pytest.fixture
def world(conn: Conn, connect_as: ConnectAs) -> tuple[World, Conn, Conn]:
    """(world, tenant A's connection, tenant B's connection), all rows made by the tenants under RLS."""
    a_user, b_user = uuid.uuid4(), uuid.uuid4()
    a, b = connect_as(claims_of(a_user)), connect_as(claims_of(b_user))

    a_project = one(a, "insert into projects (name) values ('A: the film') returning id")
    a_global = one(
        a,
        "insert into global_assets (name, asset_type, description) "
        "values ('John Doe', 'character', 'a tall man in a clean suit') returning id",
    )
    a_asset = one(a, "select clone_global_asset(%s, %s)", (a_global, a_project))
    a.execute("update project_assets set description = 'a dirty, torn suit' where id = %s", (a_asset,))
    a.execute(
        "update global_assets set description = 'a tall man in a grey suit', image_key_url = 'red-hair.png' "
        "where id = %s",
        (a_global,),
    )
    a.execute("select sync_project_asset(%s)", (a_asset,))
    a.execute("update global_assets set name = 'John Q. Doe' where id = %s", (a_global,))
    a_local = one(
        a,
        "insert into project_assets (project_id, name, asset_type) values (%s, 'Umbrella', 'prop') returning id",
        (a_project,),
    )

    b_project = one(b, "insert into projects (name) values ('B: the series') returning id")
    b_global = one(b, "insert into global_assets (name, asset_type) values ('Old Mill', 'location') returning id")
    b_asset = one(b, "select clone_global_asset(%s, %s)", (b_global, b_project))

    # The world is what the tests assume (read as the superuser, who bypasses RLS).
    assert one(conn, "select owner_id from projects where id = %s", (a_project,)) == a_user
    assert one(conn, "select owner_id from global_assets where id = %s", (b_global,)) == b_user
    assert one(conn, "select version from global_assets where id = %s", (a_global,)) == 3
    row = conn.execute(
        "select global_version, overridden_fields, sync_conflicts ? 'description' from project_assets where id = %s",
        (a_asset,),
    ).fetchone()
    assert row == (2, ["description"], True)
    return World(a_user, b_user, a_project, a_global, a_asset, a_local, b_project, b_global, b_asset), a, b


def params_of(world: World) -> dict[str, Any]:
    return {f.name: getattr(world, f.name) for f in fields(world)}


@dataclass(frozen=True)
class Outcome:
    """What a statement did: its SQLSTATE (None on success), its error texts with ids masked, its row count."""

    sqlstate: str | None
    texts: tuple[str | None, ...] = ()
    rowcount: int = -1


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def outcome(caller: Conn, query: str, params: Any = None) -> Outcome:
    """Run one statement; every uuid in the error's message, detail and hint is masked as <id>."""
    try:
        cur = caller.execute(query, params)
    except psycopg.Error as error:
        texts = (error.diag.message_primary, error.diag.message_detail, error.diag.message_hint)
        return Outcome(error.sqlstate, tuple(UUID_TEXT.sub("<id>", t) if t else t for t in texts))
    return Outcome(None, (), cur.rowcount)


TENANT_ROWS = {
    "projects": "select to_jsonb(t)::text from projects as t where owner_id = %(user)s order by 1",
    "global_assets": "select to_jsonb(t)::text from global_assets as t where owner_id = %(user)s order by 1",
    "global_asset_versions": "select to_jsonb(v)::text from global_asset_versions as v "
    "join global_assets as g on g.id = v.global_asset_id where g.owner_id = %(user)s order by 1",
    "project_assets": "select to_jsonb(pa)::text from project_assets as pa "
    "join projects as p on p.id = pa.project_id where p.owner_id = %(user)s order by 1",
}


def tenant_rows(conn: Conn, user: UUID) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of one tenant in the four tables, read by the superuser."""
    return {table: conn.execute(query, {"user": user}).fetchall() for table, query in TENANT_ROWS.items()}


def request_user_id(caller: Conn) -> Any:
    return one(caller, "select request_user_id()")


# ---------------------------------------------------------------------------------------------------------------
# Tables: B cannot read, change, insert into, give away or link A's rows
# ---------------------------------------------------------------------------------------------------------------

A_ROWS = {
    "projects": "id = %(a_project)s",
    "global_assets": "id = %(a_global)s",
    "global_asset_versions": "global_asset_id = %(a_global)s",
    "project_assets": "id in (%(a_asset)s, %(a_local)s)",
}
OWNED_COUNT = {
    "projects": "select count(*) from projects where owner_id = %(user)s",
    "global_assets": "select count(*) from global_assets where owner_id = %(user)s",
    "global_asset_versions": "select count(*) from global_asset_versions as v "
    "join global_assets as g on g.id = v.global_asset_id where g.owner_id = %(user)s",
    "project_assets": "select count(*) from project_assets as pa "
    "join projects as p on p.id = pa.project_id where p.owner_id = %(user)s",
}
A_UPDATE = {
    "projects": "update projects set name = 'pwned' where id = %(a_project)s",
    "global_assets": "update global_assets set description = 'pwned' where id = %(a_global)s",
    "global_asset_versions": "update global_asset_versions set snapshot = '{}' where global_asset_id = %(a_global)s",
    "project_assets": "update project_assets set description = 'pwned' where id in (%(a_asset)s, %(a_local)s)",
}
A_DELETE = {table: f"delete from {table} where {where}" for table, where in A_ROWS.items()}
INTO_A = {
    "projects": "insert into projects (name, owner_id) values ('pwned', %(a_user)s)",
    "global_assets": "insert into global_assets (name, asset_type, owner_id) values ('pwned', 'prop', %(a_user)s)",
    "global_asset_versions": "insert into global_asset_versions (global_asset_id, version, snapshot) "
    'values (%(a_global)s, 4, \'{"name": "pwned"}\')',
    "project_assets": "insert into project_assets (project_id, name, asset_type) "
    "values (%(a_project)s, 'pwned', 'prop')",
}
GIVE_AWAY = {
    "projects": "update projects set owner_id = %(a_user)s where id = %(b_project)s",
    "global_assets": "update global_assets set owner_id = %(a_user)s where id = %(b_global)s",
    "project_assets": "update project_assets set project_id = %(a_project)s where id = %(b_asset)s",
}


def test_b_cannot_read_a_rows(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """Each tenant sees exactly its own rows of every table (A's versions included), and none of the other's."""
    w, a, b = world
    p = params_of(w)
    problems: list[str] = []
    for table in TABLES:
        a_rows = f"select count(*) from {table} where {A_ROWS[table]}"
        assert one(conn, a_rows, p) > 0, f"the world has no rows of A in {table}"
        if (seen := one(b, a_rows, p)) != 0:
            problems.append(f"B sees {seen} of A's rows of {table}")
        for name, caller, user in (("A", a, w.a_user), ("B", b, w.b_user)):
            owned, seen = one(conn, OWNED_COUNT[table], {"user": user}), one(caller, f"select count(*) from {table}")
            if owned == 0 or seen != owned:
                problems.append(f"{name} owns {owned} rows of {table} but sees {seen}")
    # Nor through the planner's statistics (most common values, histograms), which hold everyone's values.
    conn.execute("analyze projects, global_assets, global_asset_versions, project_assets")
    stats = "select count(*) from pg_stats where schemaname = 'public' and tablename = any(%s)"
    assert one(conn, stats, (list(TABLES),)) > 0
    if (seen := one(b, stats, (list(TABLES),))) != 0:
        problems.append(f"B reads {seen} rows of pg_stats about the tables")
    assert not problems, "\n".join(problems)


def test_b_cannot_update_or_delete_a_rows(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """0 rows affected (42501 for global_asset_versions, which the API role may not UPDATE or DELETE at all)."""
    w, _a, b = world
    before = tables_snapshot(conn)
    problems: list[str] = []
    for table in TABLES:
        for statement in (A_UPDATE[table], A_DELETE[table]):
            result = outcome(b, statement, params_of(w))
            if table == "global_asset_versions":
                refused = result.sqlstate == "42501"
            else:
                refused = result.sqlstate is None and result.rowcount == 0
            if not refused:
                problems.append(f"{statement}: {result}")
    assert not problems, "B reached A's rows:\n" + "\n".join(problems)
    assert tables_snapshot(conn) == before


def test_b_cannot_insert_rows_for_a(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """Not into A's project, not with A's owner_id, not a version of A's asset: 42501."""
    w, _a, b = world
    before = tables_snapshot(conn)
    problems = unexpected_sqlstates(b, "42501", INTO_A.values(), params_of(w))
    assert not problems, "\n".join(problems)
    assert tables_snapshot(conn) == before


def test_b_cannot_give_its_rows_away(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """UPDATE of owner_id (or of project_id into A's project) fails the policy's WITH CHECK: 42501."""
    w, _a, b = world
    before = tables_snapshot(conn)
    problems = unexpected_sqlstates(b, "42501", GIVE_AWAY.values(), params_of(w))
    assert not problems, "\n".join(problems)
    assert tables_snapshot(conn) == before


LINKS = {
    "insert-linked": "insert into project_assets (project_id, global_asset_id, name, asset_type) "
    "values (%(b_project)s, %(target)s, 'Stolen', 'character')",
    "update-link": "update project_assets set global_asset_id = %(target)s where id = %(b_asset)s",
    "update-link-and-edit": "update project_assets set global_asset_id = %(target)s, name = 'Stolen' "
    "where id = %(b_asset)s",
    "clone": "select clone_global_asset(%(target)s, %(b_project)s)",
}


def test_b_cannot_link_or_clone_a_global(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """Linking A's global asset is P0002, word for word as linking one that does not exist."""
    w, _a, b = world
    before = tables_snapshot(conn)
    problems: list[str] = []
    for how, query in LINKS.items():
        theirs = outcome(b, query, {**params_of(w), "target": w.a_global})
        nowhere = outcome(b, query, {**params_of(w), "target": uuid.uuid4()})
        if theirs.sqlstate != "P0002" or theirs != nowhere:
            problems.append(f"{how}: A's global gives {theirs}, a missing one {nowhere}")
    assert not problems, "\n".join(problems)
    assert tables_snapshot(conn) == before


def test_b_cannot_link_a_global_even_as_the_library_writer(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """A client that sets assetsync.writer on purpose is trusted with its own rows only: RLS still holds."""
    w, _a, b = world
    before = tenant_rows(conn, w.a_user)
    b.execute("set assetsync.writer = 'library'")
    for how, query in LINKS.items():
        theirs = outcome(b, query, {**params_of(w), "target": w.a_global})
        nowhere = outcome(b, query, {**params_of(w), "target": uuid.uuid4()})
        assert theirs.sqlstate in ("P0002", "42501"), (how, theirs)
        assert theirs == nowhere, (how, theirs, nowhere)
    b.execute("update project_assets set global_version = 99 where id = %s", (w.b_asset,))  # own row: trusted
    assert outcome(b, "update project_assets set global_version = 99 where id = %s", (w.a_asset,)).rowcount == 0
    assert tenant_rows(conn, w.a_user) == before


# ---------------------------------------------------------------------------------------------------------------
# Functions: another tenant's id is P0002, exactly like an id that does not exist, and changes nothing
# ---------------------------------------------------------------------------------------------------------------

# Per function: (variant, query, the parameters that are A's ids, what A itself gets: None for success).
# Each of A's ids is replaced by a fresh random uuid for the comparison call. What A gets proves that the
# others' P0002 comes from visibility alone (a_local is not linked: A is told 55000, the others must not be).
CALLS: dict[str, list[tuple[str, str, tuple[str, ...], str | None]]] = {
    "sync_project_asset": [
        ("linked", "select sync_project_asset(%(a_asset)s)", ("a_asset",), None),
        ("local", "select sync_project_asset(%(a_local)s)", ("a_local",), "55000"),
    ],
    "sync_global_asset": [("", "select sync_global_asset(%(a_global)s)", ("a_global",), None)],
    "sync_project": [("", "select sync_project(%(a_project)s)", ("a_project",), None)],
    "clone_global_asset": [
        ("their-global", "select clone_global_asset(%(a_global)s, %(b_project)s)", ("a_global",), "P0002"),
        ("their-project", "select clone_global_asset(%(b_global)s, %(a_project)s)", ("a_project",), "P0002"),
        ("both-theirs", "select clone_global_asset(%(a_global)s, %(a_project)s)", ("a_global", "a_project"), None),
    ],
    "revert_project_asset_fields": [
        ("named", "select revert_project_asset_fields(%(a_asset)s, array['description', 'name'])", ("a_asset",), None),
        ("local", "select revert_project_asset_fields(%(a_local)s)", ("a_local",), "55000"),
        ("all", "select revert_project_asset_fields(%(a_asset)s)", ("a_asset",), None),
    ],
    "resolve_sync_conflict": [
        ("keep_local", "select resolve_sync_conflict(%(a_asset)s, 'description', 'keep_local')", ("a_asset",), None),
        # A's keep_local (run first) closed the conflict: A's take_global is then told 22023, no conflict.
        (
            "take_global",
            "select resolve_sync_conflict(%(a_asset)s, 'description', 'take_global')",
            ("a_asset",),
            "22023",
        ),
    ],
    "project_asset_diff": [
        ("linked", "select * from project_asset_diff(%(a_asset)s)", ("a_asset",), None),
        ("local", "select * from project_asset_diff(%(a_local)s)", ("a_local",), "55000"),
    ],
    "rollback_global_asset": [
        ("missing-version", "select rollback_global_asset(%(a_global)s, 42)", ("a_global",), "P0002"),
        ("existing-version", "select rollback_global_asset(%(a_global)s, 1)", ("a_global",), None),
    ],
}


@pytest.mark.parametrize("function", sorted(CALLS))
def test_functions_report_a_rows_to_others_as_missing(
    conn: Conn, connect_as: ConnectAs, world: tuple[World, Conn, Conn], function: str
) -> None:
    """B, an anonymous caller and callers with malformed claims get P0002 for A's ids, with the same message as
    for an id that does not exist, and nothing changes; A itself is served (or told what is really wrong)."""
    w, a, b = world
    p = params_of(w)
    callers = {
        "tenant B": b,
        "anonymous": connect_as(None),
        "malformed claims": connect_as("{not json"),
        "non-uuid sub": connect_as('{"sub": "12345"}'),
    }
    problems: list[str] = []
    for variant, query, a_params, _ in CALLS[function]:
        before = tables_snapshot(conn)
        for who, caller in callers.items():
            theirs = outcome(caller, query, p)
            nowhere = outcome(caller, query, {**p, **{name: uuid.uuid4() for name in a_params}})
            if theirs.sqlstate != "P0002":
                problems.append(f"{who}, {function} {variant} on A's ids: {theirs}")
            elif theirs != nowhere:
                problems.append(f"{who}, {function} {variant}: A's ids give {theirs}, missing ids {nowhere}")
            if tables_snapshot(conn) != before:
                problems.append(f"{who}, {function} {variant} changed rows")
                before = tables_snapshot(conn)
    for variant, query, _, a_gets in CALLS[function]:
        if (got := outcome(a, query, p).sqlstate) != a_gets:
            problems.append(f"A, the owner, {function} {variant}: {got}, expected {a_gets}")
    assert not problems, "\n".join(problems)


def test_internal_helpers_reach_nothing_of_another_tenant(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """The API role may execute assetsync's helpers; they run with its rights, so they reach nothing of A's.
    And it cannot regenerate, replace or create code, nor switch row-level security or triggers off."""
    w, _a, b = world
    p = params_of(w)
    before = tables_snapshot(conn)
    b.execute("set assetsync.writer = 'library'")  # even with the library's marker set on purpose
    assert b.execute("select * from assetsync.pull(array[%(a_asset)s]::uuid[])", p).fetchall() == []
    b.execute("select assetsync.revert_fields(%(a_asset)s, array['description'])", p)
    assert one(b, "select assetsync.apply_snapshot(%(a_global)s, 1)", p) is None
    assert one(b, "select assetsync.clone(%(a_global)s, %(b_project)s)", p) is None
    assert b.execute("select * from assetsync.diff(%(a_asset)s)", p).fetchall() == []
    assert sqlstate_of(b, "select assetsync.lock_project_asset(%(a_asset)s, true)", p) == "P0002"
    assert sqlstate_of(b, "select assetsync.linked_project_asset(%(a_asset)s)", p) == "P0002"
    assert sqlstate_of(b, "select asset_sync_refresh()") == "42501", "only the tables' owner regenerates code"
    for ddl in (
        "create table public.mine (x integer)",
        "create function assetsync.mine() returns integer language sql as 'select 1'",
        "create or replace function assetsync.synced_fields() returns text[] language sql as 'select null::text[]'",
        "alter table public.projects disable row level security",
        "drop policy projects_owner_all on public.projects",
        "alter table public.global_asset_versions disable trigger user",
    ):
        assert sqlstate_of(b, ddl) == "42501", f"the API role may run: {ddl}"
    assert tables_snapshot(conn) == before


# ---------------------------------------------------------------------------------------------------------------
# The status view, and callers with no identity
# ---------------------------------------------------------------------------------------------------------------


def test_status_view_shows_each_tenant_only_its_rows(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    w, a, b = world
    rows = "select project_asset_id, state from project_asset_sync_status order by 1"
    assert a.execute(rows).fetchall() == sorted([(w.a_asset, "conflict"), (w.a_local, "local")])
    assert b.execute(rows).fetchall() == [(w.b_asset, "up_to_date")]
    assert one(conn, "select count(*) from project_asset_sync_status") == 3


NO_IDENTITY = {
    "missing": None,
    "empty": "",
    "not-json": "not json",
    "truncated-json": '{"sub": "%s"',  # A's id, but not valid JSON
    "json-without-sub": '{"role": "authenticated", "aud": "authenticated"}',
    "non-uuid-sub": '{"sub": "not-a-uuid"}',
    "null-sub": '{"sub": null}',
    "numeric-sub": '{"sub": 42}',
    "object-sub": '{"sub": {"id": "%s"}}',
    "json-array": '["%s"]',
    "json-string": '"%s"',
    "whitespace": "   ",
    "invalid-surrogate": '{"sub": "\\ud800"}',
    "nul-escape": '{"sub": "\\u0000"}',
    "number-out-of-range": '{"role": "authenticated", "exp": 1e1000000}',
    "too-deeply-nested": '{"sub": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


def test_callers_without_identity_see_nothing(
    conn: Conn, connect_as: ConnectAs, world: tuple[World, Conn, Conn]
) -> None:
    """request_user_id() is NULL, never an error, for a missing, empty or malformed setting; such a caller sees
    nothing in any table or the view, and can create nothing."""
    w, _a, _b = world
    before = tables_snapshot(conn)
    problems: list[str] = []
    for name, raw in NO_IDENTITY.items():
        caller = connect_as(None if raw is None else raw.replace("%s", str(w.a_user)))
        got = outcome(caller, "select request_user_id() is null")
        if got.sqlstate is not None:
            problems.append(f"{name}: request_user_id() raised {got.sqlstate} {got.texts[0]}")
        elif not one(caller, "select request_user_id() is null"):
            problems.append(f"{name}: request_user_id() is {request_user_id(caller)}")
        for relation in (*TABLES, VIEW):
            seen = outcome(caller, f"select * from {relation}")
            if seen.sqlstate is not None or seen.rowcount != 0:
                what = f"error {seen.sqlstate}" if seen.sqlstate else f"{seen.rowcount} rows"
                problems.append(f"{name}: select from {relation} gives {what}")
        for statement in (
            "insert into projects (name) values ('nobody''s')",
            "insert into global_assets (name, asset_type) values ('nobody''s', 'prop')",
        ):
            if (state := sqlstate_of(caller, statement)) != "42501":
                problems.append(f"{name}: {statement}: {state}")
        caller.close()
    assert not problems, "callers without an identity:\n" + "\n".join(problems)
    assert tables_snapshot(conn) == before


# ---------------------------------------------------------------------------------------------------------------
# A's own workflow, end to end under RLS as the non-owner role
# ---------------------------------------------------------------------------------------------------------------


def test_owner_workflow_end_to_end_under_rls(conn: Conn, connect_as: ConnectAs) -> None:
    user = uuid.uuid4()
    a = connect_as(claims_of(user))
    assert request_user_id(a) == user
    assert one(a, "select current_user") != one(conn, "select current_user")
    assert one(a, "select rolbypassrls or rolsuper from pg_roles where rolname = current_user") is False

    project = one(a, "insert into projects (name) values ('Film') returning id")
    assert one(a, "select owner_id from projects where id = %s", (project,)) == user
    john = one(
        a,
        "insert into global_assets (name, asset_type, description) "
        "values ('John Doe', 'character', 'a tall man in a clean suit') returning id",
    )
    assert a.execute("select owner_id, version from global_assets where id = %s", (john,)).fetchone() == (user, 1)
    assert a.execute("select version from global_asset_versions where global_asset_id = %s", (john,)).fetchall() == [
        (1,)
    ]

    copy = one(a, "select clone_global_asset(%s, %s)", (john, project))
    assert a.execute(
        "select global_asset_id, global_version, overridden_fields from project_assets where id = %s", (copy,)
    ).fetchone() == (john, 1, [])

    a.execute("update project_assets set description = 'a dirty, torn suit' where id = %s", (copy,))
    assert one(a, "select overridden_fields from project_assets where id = %s", (copy,)) == ["description"]

    a.execute(
        "update global_assets set image_key_url = 'red-hair.png', description = 'a tall man in a grey suit' "
        "where id = %s",
        (john,),
    )
    assert one(a, "select version from global_assets where id = %s", (john,)) == 2
    assert one(a, "select count(*) from global_asset_versions where global_asset_id = %s", (john,)) == 2

    diff = {r[0]: r[1] for r in a.execute("select field, state from project_asset_diff(%s)", (copy,))}
    assert diff["description"] == "conflict"
    assert diff["image_key_url"] == "will_update"
    assert diff["name"] == "in_sync"
    assert one(a, "select state from project_asset_sync_status where project_asset_id = %s", (copy,)) == "behind"

    report = one(a, "select sync_project_asset(%s)", (copy,))
    assert report["status"] == "synced"
    assert report["updated_fields"] == ["image_key_url"]
    assert report["kept_fields"] == ["description"]
    assert report["conflict_fields"] == ["description"]
    row = a.execute(
        "select image_key_url, description, global_version, sync_conflicts -> 'description' "
        "from project_assets where id = %s",
        (copy,),
    ).fetchone()
    assert row is not None
    assert row[:3] == ("red-hair.png", "a dirty, torn suit", 2)
    assert {k: row[3][k] for k in ("base", "local", "global", "global_version")} == {
        "base": "a tall man in a clean suit",
        "local": "a dirty, torn suit",
        "global": "a tall man in a grey suit",
        "global_version": 2,
    }
    assert a.execute(
        "select state, conflict_fields from project_asset_sync_status where project_asset_id = %s", (copy,)
    ).fetchone() == ("conflict", ["description"])

    a.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", (copy,))
    assert a.execute(
        "select sync_conflicts, overridden_fields from project_assets where id = %s", (copy,)
    ).fetchone() == ({}, ["description"])

    a.execute("update global_assets set description = 'a tall man in a blue suit' where id = %s", (john,))
    assert one(a, "select sync_project_asset(%s)", (copy,))["conflict_fields"] == ["description"]
    a.execute("select resolve_sync_conflict(%s, 'description', 'take_global')", (copy,))
    assert a.execute(
        "select description, overridden_fields, sync_conflicts from project_assets where id = %s", (copy,)
    ).fetchone() == ("a tall man in a blue suit", [], {})

    a.execute("update project_assets set name = 'Johnny' where id = %s", (copy,))
    assert one(a, "select revert_project_asset_fields(%s)", (copy,)) == ["name"]
    assert a.execute("select name, overridden_fields from project_assets where id = %s", (copy,)).fetchone() == (
        "John Doe",
        [],
    )

    assert one(a, "select rollback_global_asset(%s, 1)", (john,)) == 4
    assert a.execute("select description, image_key_url from global_assets where id = %s", (john,)).fetchone() == (
        "a tall man in a clean suit",
        None,
    )
    assert one(a, "select count(*) from global_asset_versions where global_asset_id = %s", (john,)) == 4

    sequel = one(a, "insert into projects (name) values ('Sequel') returning id")
    second = one(a, "select clone_global_asset(%s, %s)", (john, sequel))
    assert one(a, "select sync_project(%s)", (project,)) == 1
    a.execute("update global_assets set description = 'a tall man in a black suit' where id = %s", (john,))
    assert one(a, "select sync_global_asset(%s)", (john,)) == 2
    assert a.execute(
        "select project_asset_id, state from project_asset_sync_status order by project_id = %s", (project,)
    ).fetchall() == [(second, "up_to_date"), (copy, "up_to_date")]

    a.execute("delete from global_assets where id = %s", (john,))
    assert a.execute(
        "select global_asset_id, global_version, description from project_assets where id = %s", (copy,)
    ).fetchone() == (None, 5, "a tall man in a black suit")
    assert one(a, "select state from project_asset_sync_status where project_asset_id = %s", (copy,)) == "detached"
    assert one(conn, "select count(*) from global_asset_versions where global_asset_id = %s", (john,)) == 0

    assert outcome(a, "delete from projects where id = %s", (project,)).rowcount == 1
    assert one(conn, "select count(*) from project_assets where id = %s", (copy,)) == 0
    assert one(a, "select count(*) from project_assets") == 1


# ---------------------------------------------------------------------------------------------------------------
# History and bookkeeping cannot be forged, not even by their owner
# ---------------------------------------------------------------------------------------------------------------


def versions_of(conn: Conn, global_asset_id: UUID) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select version, snapshot, changed_fields, created_at from global_asset_versions "
        "where global_asset_id = %s order by version",
        (global_asset_id,),
    ).fetchall()


def test_owner_cannot_insert_history(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    w, a, _b = world
    history = versions_of(conn, w.a_global)
    current = one(a, "select version from global_assets where id = %s", (w.a_global,))
    insert = (
        "insert into global_asset_versions (global_asset_id, version, snapshot, changed_fields) "
        "values (%s, %s, '{\"name\": \"forged\"}', '{name}')"
    )
    for version in (current + 1, current, 1, 0, 1000):
        assert sqlstate_of(a, insert, (w.a_global, version)) == "42501", f"A inserted version {version}"
    fresh = one(a, "insert into global_assets (name, asset_type) values ('Fresh', 'prop') returning id")
    for version in (1, 2):
        assert sqlstate_of(a, insert, (fresh, version)) == "42501", f"A inserted version {version} of a fresh asset"
    upsert = insert + " on conflict (global_asset_id, version) do update set snapshot = excluded.snapshot"
    assert sqlstate_of(a, upsert, (w.a_global, current)) == "42501"
    copy_in = "copy global_asset_versions (global_asset_id, version, snapshot) from stdin"
    with a.cursor() as cur, pytest.raises(psycopg.Error) as raised, cur.copy(copy_in) as copy:
        copy.write_row((w.a_global, current + 1, '{"name": "forged"}'))
    assert raised.value.sqlstate in ("42501", "0A000")  # 0A000: COPY FROM is not supported under RLS
    assert versions_of(conn, w.a_global) == history


def test_owner_cannot_change_or_delete_history(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    w, a, _b = world
    history = versions_of(conn, w.a_global)
    for statement in (
        'update global_asset_versions set snapshot = \'{"name": "forged"}\' where global_asset_id = %s',
        "update global_asset_versions set version = version + 10 where global_asset_id = %s",
        "delete from global_asset_versions where global_asset_id = %s and version = 1",
        "delete from global_asset_versions where global_asset_id = %s",
    ):
        result = outcome(a, statement, (w.a_global,))
        assert result.sqlstate == "42501" or result.rowcount == 0, f"{statement}: {result}"
    assert sqlstate_of(a, "truncate global_asset_versions") == "42501"
    assert versions_of(conn, w.a_global) == history


def test_superuser_cannot_write_history_directly(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    w, _a, _b = world
    history = versions_of(conn, w.a_global)
    current = one(conn, "select version from global_assets where id = %s", (w.a_global,))
    for statement, params in (
        (
            "insert into global_asset_versions (global_asset_id, version, snapshot) values (%s, %s, '{}')",
            (w.a_global, current + 1),
        ),
        (
            "update global_asset_versions set snapshot = '{}' where global_asset_id = %s and version = %s",
            (w.a_global, 1),
        ),
        ("delete from global_asset_versions where global_asset_id = %s and version = %s", (w.a_global, 1)),
    ):
        assert sqlstate_of(conn, statement, params) == "42501", statement
    assert versions_of(conn, w.a_global) == history


def test_owner_cannot_forge_history_from_its_own_trigger(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """A tenant can own a trigger on a temporary table: inserting from it runs at trigger depth 2, where the
    versioning trigger's own inserts are accepted. History must still not change, neither for the current
    version (whose row exists) nor in the window where an UPDATE has raised the version but its snapshot is
    not recorded yet (the AFTER trigger is still queued)."""
    w, a, _b = world
    history = versions_of(conn, w.a_global)
    current = one(a, "select version from global_assets where id = %s", (w.a_global,))
    a.execute("create temp table forger (global_asset_id uuid)")
    a.execute(
        """
        create function pg_temp.forge() returns trigger language plpgsql as $$
        begin
            insert into public.global_asset_versions (global_asset_id, version, snapshot, changed_fields)
            select g.id, g.version, '{"name": "forged"}', '{name}'
            from public.global_assets as g where g.id = new.global_asset_id;
            return new;
        end
        $$
        """
    )
    a.execute("create trigger forge before insert on forger for each row execute function pg_temp.forge()")
    attempts = (
        ("insert into forger values (%s)", (w.a_global,)),
        (
            "with changed as (update global_assets set description = 'changed' where id = %s returning id) "
            "insert into forger select id from changed",
            (w.a_global,),
        ),
    )
    for statement, params in attempts:
        result = outcome(a, statement, params)
        assert result.sqlstate is not None, f"a forged version was accepted: {statement}"
    assert versions_of(conn, w.a_global) == history
    assert one(conn, "select version from global_assets where id = %s", (w.a_global,)) == current


BOOKKEEPING_WRITES = {
    "update-global-version": "update global_assets set version = version + 1 where id = %(a_global)s",
    "update-global-version-down": "update global_assets set version = 1 where id = %(a_global)s",
    "insert-global-version-2": "insert into global_assets (name, asset_type, version) values ('x', 'prop', 2)",
    "update-global_version": "update project_assets set global_version = global_version + 1 where id = %(a_asset)s",
    "update-last_synced_at": "update project_assets set last_synced_at = now() where id = %(a_asset)s",
    "update-sync_conflicts": "update project_assets set sync_conflicts = '{}' where id = %(a_asset)s",
    "update-sync_conflicts-forge": "update project_assets set sync_conflicts = "
    'sync_conflicts || \'{"name": {"base": 1}}\' where id = %(a_asset)s',
    "insert-global_version": "insert into project_assets (project_id, name, asset_type, global_version) "
    "values (%(a_project)s, 'x', 'prop', 1)",
    "insert-last_synced_at": "insert into project_assets (project_id, name, asset_type, last_synced_at) "
    "values (%(a_project)s, 'x', 'prop', now())",
    "insert-sync_conflicts": "insert into project_assets (project_id, name, asset_type, sync_conflicts) "
    "values (%(a_project)s, 'x', 'prop', '{\"name\": {}}')",
}


def test_owner_cannot_write_bookkeeping(conn: Conn, world: tuple[World, Conn, Conn]) -> None:
    """global_assets.version, project_assets.global_version, last_synced_at and sync_conflicts: 22023."""
    w, a, _b = world
    before = tables_snapshot(conn)
    problems = unexpected_sqlstates(a, "22023", BOOKKEEPING_WRITES, params_of(w))
    assert not problems, "\n".join(problems)
    assert tables_snapshot(conn) == before


# ---------------------------------------------------------------------------------------------------------------
# A role without the grants (PUBLIC only) can use nothing
# ---------------------------------------------------------------------------------------------------------------


def test_role_without_grants_can_use_nothing(
    conn: Conn, bare_role: str, connect_as: ConnectAs, world: tuple[World, Conn, Conn]
) -> None:
    w, _a, _b = world
    p = params_of(w)
    bare = connect_as(claims_of(w.a_user), bare_role)  # even with A's identity
    before = tables_snapshot(conn)
    statements = [
        *(f"select count(*) from {relation}" for relation in (*TABLES, VIEW)),
        "insert into projects (name) values ('x')",
        "insert into global_assets (name, asset_type) values ('x', 'prop')",
        "insert into project_assets (project_id, name, asset_type) values (%(a_project)s, 'x', 'prop')",
        "insert into global_asset_versions (global_asset_id, version, snapshot) values (%(a_global)s, 9, '{}')",
        *(f"update {table} set created_at = created_at" for table in TABLES),
        *(f"delete from {table}" for table in TABLES),
        *(query for calls in CALLS.values() for _, query, _, _ in calls),
        "select asset_sync_refresh()",
        "select assetsync.synced_fields()",
        "select * from assetsync.pull(array[%(a_asset)s]::uuid[])",
        "select count(*) from assetsync.migration_history",
    ]
    denied = unexpected_sqlstates(bare, "42501", statements, p)
    assert not denied, "a role with PUBLIC's privileges only could run:\n" + "\n".join(denied)
    assert tables_snapshot(conn) == before
