"""Scale-out (docs/scale-out.md): a sync, a diff, a revert and an undo read the rows of one tenant only.

The design of docs/scale-out.md distributes every tenant table by the owning user, so that a copy, its
project, its global, the global's history and the copy's journal share one shard. That holds only if no
statement of these operations needs another tenant's rows. Citus is not installable here, so this module
checks the property itself on one PostgreSQL, from what the executor actually did:

- Two tenants are seeded with the same shape (projects, library, versions, copies, overrides, conflicts,
  journal): A once, B fifty times over, so a scan that strays into B's rows reads far more rows than A has.
- auto_explain (loaded by the superuser session, then `set local role` to the API role as PostgREST does)
  logs the plan of EVERY statement executed, nested ones in PL/pgSQL functions, triggers, foreign-key
  checks and the deferred notice flush at commit included, with actual row counts (log_analyze), as
  client notices in JSON.
- For every plan node that reads a tenant table (a scan, or a bitmap index scan of one of its indexes),
  the rows it examined (actual rows + rows removed by a filter or an index recheck, times loops) must not
  exceed tenant A's rows in that table. This does not depend on which plan the planner picks: a
  sequential scan of A's few rows passes, any scan that reads B's rows fails, naming the statement and
  the node.
- It cannot pass vacuously: each operation must have done its work, and its captured plans must read the
  tables it is known to touch (read or write); and a deliberately cross-tenant statement is caught by the same check.

Each operation runs twice: as the API role under row-level security (how clients call it: `set local role`
and the JWT claims, one transaction per request), and as the migrating role, which bypasses row-level
security, so that the property is seen to come from the functions' own predicates (ids), not from the
policies.

Finding (see docs/scale-out.md): on tiny tables the policy of project_assets listed the caller's projects
by a sequential scan of every tenant's projects; on a server with many tenants the planner looks them up by
key. The world therefore also holds a crowd of other tenants' projects, as a real server does, and migration
020 indexes projects.owner_id (the policy of projects itself lists a caller's projects by it). Any node that
reads another tenant's rows fails.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from story import BLACK_HAIR, BLUE, CLEAN, GREY, RED_HAIR, TORN
from support import Conn, scalar

TENANT_TABLES = ("projects", "global_assets", "global_asset_versions", "project_assets", "project_asset_changes")
B_SCALE = 50  # tenant B has fifty times tenant A's rows in every tenant table
CROWD = 20_000  # projects of other tenants (one each): the projects table of a server with many tenants
A_UNITS = 2  # two units give A eight conflicted copies: one or two for each operation and caller

# A's rows per tenant table: the limit on the rows any one plan node may examine.
TENANT_ROWS = {
    "projects": "select count(*) from public.projects where owner_id = %(owner)s",
    "global_assets": "select count(*) from public.global_assets where owner_id = %(owner)s",
    "global_asset_versions": """
        select count(*) from public.global_asset_versions as v
        inner join public.global_assets as g on g.id = v.global_asset_id
        where g.owner_id = %(owner)s""",
    "project_assets": """
        select count(*) from public.project_assets as pa
        inner join public.projects as p on p.id = pa.project_id
        where p.owner_id = %(owner)s""",
    "project_asset_changes": """
        select count(*) from public.project_asset_changes as c
        inner join public.project_assets as pa on pa.id = c.project_asset_id
        inner join public.projects as p on p.id = pa.project_id
        where p.owner_id = %(owner)s""",
}

AUTO_EXPLAIN = {
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_nested_statements": "on",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "off",
    "auto_explain.log_timing": "off",
    "auto_explain.log_triggers": "off",
    "auto_explain.log_verbose": "off",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
    "auto_explain.sample_rate": "1",
    "client_min_messages": "notice",
}


# ---------------------------------------------------------------------------------------------------------------
# Two tenants: the same shape, B fifty times A
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """A tenant's rows. Per unit: two projects and four globals, each global cloned into both projects; the
    copies of the first project overrode `description`, were synced into a conflict at version 2, and are one
    version behind (version 3 changed `description` again and `image_key_url`); the copies of the second
    project are untouched and two versions behind."""

    owner: UUID
    projects: list[UUID]
    globals: list[UUID]
    conflicted_copies: list[UUID]  # in the first project of each unit, ordered by global


def claims_of(user: UUID) -> str:
    return json.dumps({"sub": str(user), "role": "authenticated"})


def ids(conn: Conn, query: sql.Composable | str, params: Any = None) -> list[UUID]:
    return [row[0] for row in conn.execute(query, params).fetchall()]


def seed_tenant(conn: Conn, tag: str, units: int) -> Tenant:
    """Seed one tenant with `units` units (see Tenant), through the library's own functions and triggers."""
    owner = uuid.uuid4()
    conn.execute("select set_config('request.jwt.claims', %s, false)", [claims_of(owner)])
    projects = ids(
        conn,
        "insert into projects (name, owner_id) select format('%%s project %%s', %s::text, n), %s "
        "from generate_series(1, %s) as n order by n returning id",
        [tag, owner, 2 * units],
    )
    globals_ = ids(
        conn,
        "insert into global_assets (name, asset_type, description, image_key_url, owner_id) "
        "select format('%%s asset %%s', %s::text, n), 'character', %s, %s, %s "
        "from generate_series(1, %s) as n order by n returning id",
        [tag, CLEAN, BLACK_HAIR, owner, 4 * units],
    )
    pairs = [(g, projects[2 * (i // 4) + j]) for i, g in enumerate(globals_) for j in (0, 1)]
    copies = ids(
        conn,
        "select clone_global_asset(g, p) from unnest(%s::uuid[], %s::uuid[]) with ordinality as t (g, p, n) "
        "order by n",
        [[g for g, _ in pairs], [p for _, p in pairs]],
    )
    first_projects = projects[0::2]
    conn.execute("update project_assets set description = %s where project_id = any(%s)", [TORN, first_projects])
    conn.execute("update global_assets set description = %s where id = any(%s)", [GREY, globals_])
    conn.execute("select sync_project(p) from unnest(%s::uuid[]) as p", [first_projects])
    conn.execute(
        "update global_assets set description = %s, image_key_url = %s where id = any(%s)",
        [BLUE, RED_HAIR, globals_],
    )
    conn.execute("select set_config('request.jwt.claims', '', false)")
    return Tenant(owner, projects, globals_, copies[0::2])


@dataclass(frozen=True)
class World:
    url: str
    api_role: str
    a: Tenant
    b: Tenant


@pytest.fixture(scope="module")
def world(db: Conn, shared_url: str) -> Iterator[World]:
    """Tenants A (two units) and B (a hundred), an API role granted what `migrate --grant-to` grants, statistics."""
    role = f"assetsync_scale_{uuid.uuid4().hex[:12]}"
    db.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    db.execute("select assetsync.grant_to(%s)", [role])
    try:
        a = seed_tenant(db, "A", A_UNITS)
        b = seed_tenant(db, "B", B_SCALE * A_UNITS)
        db.execute(
            "insert into projects (name, owner_id) select 'crowd', gen_random_uuid() from generate_series(1, %s)",
            [CROWD],
        )
        for table in TENANT_TABLES:
            db.execute(sql.SQL("analyze {}").format(sql.Identifier("public", table)))
        yield World(shared_url, role, a, b)
    finally:
        db.execute("select assetsync.revoke_from(%s)", [role])
        db.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_tenant_b_is_fifty_times_tenant_a_in_every_table(db: Conn, world: World) -> None:
    for table, query in TENANT_ROWS.items():
        a_rows = scalar(db, query, {"owner": world.a.owner})
        b_rows = scalar(db, query, {"owner": world.b.owner})
        assert a_rows > 0 and b_rows >= B_SCALE * a_rows, (table, a_rows, b_rows)


# ---------------------------------------------------------------------------------------------------------------
# Capturing every statement's plan, and checking the rows each node examined
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    query: str
    root: dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """How an operation is called: as the API role under row-level security, or as the migrating role."""

    name: str
    api_role: bool


CALLERS = [Caller("api role, under RLS", True), Caller("migrating role, RLS bypassed", False)]


@pytest.fixture
def explained(world: World) -> Iterator[Conn]:
    """A superuser session with auto_explain loaded and logging every plan, nested ones included, as notices."""
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute("load 'auto_explain'")
        for name, value in AUTO_EXPLAIN.items():
            conn.execute("select set_config(%s, %s, false)", [name, value])
        yield conn


def run_as(conn: Conn, world: World, caller: Caller, work: Callable[[Conn], Any]) -> tuple[Any, list[Plan]]:
    """Run work(conn) in one transaction as tenant A, as PostgREST runs a request (role and claims set locally);
    return its result and the plans of every statement executed up to and including the commit."""
    plans: list[Plan] = []

    def capture(diag: psycopg.errors.Diagnostic) -> None:
        message = diag.message_primary or ""
        if message.startswith("duration:") and "plan:" in message:
            logged = json.loads(message[message.index("{"):])
            plans.append(Plan(logged["Query Text"], logged["Plan"]))

    with conn.transaction():
        if caller.api_role:
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(world.api_role)))
        conn.execute("select set_config('request.jwt.claims', %s, true)", [claims_of(world.a.owner)])
        conn.add_notice_handler(capture)
        try:
            result = work(conn)
        except BaseException:
            conn.remove_notice_handler(capture)
            raise
    conn.remove_notice_handler(capture)  # after the commit: the deferred notice flush is captured too
    return result, plans


def index_tables(conn: Conn) -> dict[str, str]:
    """Index name -> table, for the tenant tables' indexes (a bitmap index scan names only its index)."""
    rows = conn.execute(
        "select indexname, tablename from pg_catalog.pg_indexes where schemaname = 'public' and tablename = any(%s)",
        [list(TENANT_TABLES)],
    ).fetchall()
    return dict(rows)


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def examined(node: dict[str, Any]) -> float:
    """Rows a node examined over all its loops. EXPLAIN gives rows and removed rows per loop (averaged)."""
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return float(per_loop) * float(node.get("Actual Loops", 0))


@dataclass(frozen=True)
class Read:
    """A plan node that reads or writes a tenant table, and the rows it examined."""

    table: str
    rows: float
    node: dict[str, Any]
    query: str

    def describe(self, limit: int) -> str:
        node = {k: v for k, v in self.node.items() if k != "Plans"}
        return (
            f"{self.node['Node Type']} on {self.table} examined {self.rows:g} rows, but tenant A has {limit} there: "
            f"it read another tenant's rows.\n  node: {json.dumps(node)}\n  statement: {' '.join(self.query.split())}"
        )


def tenant_reads(plans: list[Plan], indexes: dict[str, str]) -> list[Read]:
    """Every executed plan node on a tenant table: scans, bitmap index scans of its indexes, and writes."""
    reads = []
    for plan in plans:
        for node in nodes(plan.root):
            assert "Actual Loops" in node, f"auto_explain logged no actual counts: {node}"
            table = node.get("Relation Name") or indexes.get(node.get("Index Name", ""))
            if table in TENANT_TABLES and node["Actual Loops"] > 0:
                reads.append(Read(table, examined(node), node, plan.query))
    return reads


def strays(conn: Conn, world: World, plans: list[Plan]) -> list[Read]:
    """The nodes that examined more rows than tenant A has in their table."""
    limits = tenant_a_rows(conn, world)
    return [read for read in tenant_reads(plans, index_tables(conn)) if read.rows > limits[read.table]]


def tenant_a_rows(conn: Conn, world: World) -> dict[str, int]:
    return {table: scalar(conn, query, {"owner": world.a.owner}) for table, query in TENANT_ROWS.items()}


def assert_one_tenant(conn: Conn, world: World, plans: list[Plan], needs: set[str]) -> None:
    """The plans touched at least the tables `needs` names, and no node examined more rows than tenant A has."""
    assert plans, "auto_explain captured no statement"
    touched = {read.table for read in tenant_reads(plans, index_tables(conn))}
    assert needs <= touched, f"the captured plans touched {sorted(touched)}, expected at least {sorted(needs)}"
    limits = tenant_a_rows(conn, world)
    found = strays(conn, world, plans)
    assert not found, "\n".join(read.describe(limits[read.table]) for read in found)


# ---------------------------------------------------------------------------------------------------------------
# The four operations
# ---------------------------------------------------------------------------------------------------------------


def a_copy(world: World, first: int, caller: Caller) -> UUID:
    """A conflicted copy of tenant A for one test and caller: first for the API role, the next one for the other,
    so that no test finds a copy another test changed."""
    return world.a.conflicted_copies[first if caller.api_role else first + 1]


def copy_state(conn: Conn, copy: UUID) -> tuple[Any, ...]:
    row = conn.execute(
        "select description, image_key_url, global_version, overridden_fields, sync_conflicts ? 'description' "
        "from project_assets where id = %s",
        [copy],
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_a_sync_behind_with_an_override_and_a_conflict_reads_one_tenant(
    explained: Conn, world: World, caller: Caller
) -> None:
    copy = a_copy(world, 0, caller)
    assert copy_state(explained, copy) == (TORN, BLACK_HAIR, 2, ["description"], True)
    report, plans = run_as(explained, world, caller, lambda c: scalar(c, "select sync_project_asset(%s)", [copy]))
    assert (report["status"], report["from_version"], report["to_version"]) == ("synced", 2, 3)
    assert (report["updated_fields"], report["kept_fields"], report["conflict_fields"]) == (
        ["image_key_url"], ["description"], ["description"]
    )
    assert copy_state(explained, copy) == (TORN, RED_HAIR, 3, ["description"], True)
    # The capture reaches the commit: the deferred trigger that sends the conflict notice and empties the queue.
    assert any(" ".join(plan.query.split()) == "delete from assetsync.notice_queue" for plan in plans)
    needs = {"global_assets", "global_asset_versions", "project_assets", "project_asset_changes"}
    assert_one_tenant(explained, world, plans, needs)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_a_diff_reads_one_tenant(explained: Conn, world: World, caller: Caller) -> None:
    copy = world.a.conflicted_copies[2]  # read only: both callers diff the same copy
    rows, plans = run_as(
        explained, world, caller,
        lambda c: c.execute("select field, state from project_asset_diff(%s)", [copy]).fetchall(),
    )
    assert dict(rows)["description"] == "conflict"
    assert dict(rows)["image_key_url"] == "will_update"
    assert_one_tenant(explained, world, plans, {"global_assets", "global_asset_versions", "project_assets"})


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_a_revert_reads_one_tenant(explained: Conn, world: World, caller: Caller) -> None:
    copy = a_copy(world, 3, caller)
    reverted, plans = run_as(
        explained, world, caller,
        lambda c: scalar(c, "select revert_project_asset_fields(%s, array['description'])", [copy]),
    )
    assert reverted == ["description"]
    assert copy_state(explained, copy) == (BLUE, BLACK_HAIR, 2, [], False)
    assert_one_tenant(explained, world, plans, {"global_assets", "project_assets", "project_asset_changes"})


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_an_undo_reads_one_tenant(explained: Conn, world: World, caller: Caller) -> None:
    copy = a_copy(world, 5, caller)
    with explained.transaction():
        explained.execute("select set_config('request.jwt.claims', %s, true)", [claims_of(world.a.owner)])
        explained.execute("select revert_project_asset_fields(%s, array['description'])", [copy])
    change = scalar(explained, "select max(id) from project_asset_changes where project_asset_id = %s", [copy])
    assert scalar(explained, "select kind from project_asset_changes where id = %s", [change]) == "revert"
    undo, plans = run_as(
        explained, world, caller, lambda c: scalar(c, "select undo_project_asset_change(%s)", [change])
    )
    assert scalar(explained, "select (kind, undoes) from project_asset_changes where id = %s", [undo]) == (
        "undo", str(change)
    )
    assert copy_state(explained, copy) == (TORN, BLACK_HAIR, 2, ["description"], True)
    assert_one_tenant(explained, world, plans, {"global_assets", "project_assets", "project_asset_changes"})


# ---------------------------------------------------------------------------------------------------------------
# The check itself catches a statement that reads another tenant's rows
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_the_check_catches_a_scan_of_every_tenants_copies(explained: Conn, world: World, caller: Caller) -> None:
    """A whole-table read as tenant A: under RLS it returns only A's copies, yet examines B's too, and is caught."""
    count, plans = run_as(
        explained, world, caller,
        lambda c: scalar(c, "select count(*) from project_assets where description is not null"),
    )
    a_copies = scalar(explained, TENANT_ROWS["project_assets"], {"owner": world.a.owner})
    assert count == (a_copies if caller.api_role else a_copies * (1 + B_SCALE))
    with pytest.raises(AssertionError, match=r"Seq Scan on project_assets examined \d+ rows, but tenant A has"):
        assert_one_tenant(explained, world, plans, {"project_assets"})
