"""Concurrency under load: user edits, library edits and every kind of sync racing on shared rows.

For a bounded time (3 s in CI; 60 s with ASSETSYNC_SOAK=1, as `make soak` runs it) several connections, one
thread each, hammer a small set of rows so that they really collide:
  - users UPDATE synced fields of project assets (one row, or two in id order, per transaction; some
    transactions roll back),
  - librarians UPDATE global assets (some to NULL, some rolled back),
  - syncers call sync_project_asset, sync_global_asset (fan-out) and sync_project, and read
    project_asset_diff and the status view.

Which user write was the last to commit on a (row, field) is known without any lock of our own: each writing
transaction draws nextval('loadtest.write_order') AFTER its UPDATEs, while it holds the row locks they took,
so on one row the order of those numbers is the commit order; the write is recorded only once COMMIT
returned. Library writes are recorded the same way. Every user value is unique, so a user write always
changes the field (a write of an equal value would, by contract, mark nothing).

Afterwards: no error at all (no deadlock 40P01, no serialization failure 40001, nothing else); every field
whose last write came from a user holds that value and is in overridden_fields, and no other field is;
every global holds its last library write at version 1 + its committed edits, with that many snapshots;
after a final sync of everything, every unmarked field equals the global's, and a second sync finds
everything up to date.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from blocking import WAIT_LIMIT_SECONDS, wait_until_blocked
from pg import client_sessions
from support import (
    SYNCED_FIELDS,
    Conn,
    clone,
    global_asset,
    new_global,
    new_project,
    project_asset,
    scalar,
    sync,
    update,
)

SOAK = os.environ.get("ASSETSYNC_SOAK") == "1"
DURATION_SECONDS = 60.0 if SOAK else 3.0
USERS, LIBRARIANS, SYNCERS = 3, 2, 3
PROJECTS, GLOBALS = 3, 4
# Users never write asset_type: it has three possible values, so a user write could equal the current one
# and (by contract) mark nothing, and "the last write came from a user" would not imply "marked".
USER_FIELDS = ("name", "description", "image_key_url", "visual_style_capsule_id")
ASSET_TYPES = ("character", "location", "prop")
# The documented errors are all about bad input (NULL, unknown or invisible ids, unlinked rows, bad names or
# keywords); this workload passes only valid, visible, linked ids, so it expects none at all.
DOCUMENTED_ERRORS: frozenset[str] = frozenset()
STATEMENT_TIMEOUT = "30s"  # a hang becomes an error (57014) the test reports, never a hung CI job


@dataclass(frozen=True)
class World:
    projects: list[UUID]
    globals: list[UUID]
    rows: list[UUID]  # every project asset, in id order
    copies_of: dict[UUID, int]  # global -> how many copies link to it
    assets_in: dict[UUID, int]  # project -> how many linked assets it holds


@dataclass(frozen=True)
class Write:
    order: int  # nextval('loadtest.write_order') drawn by the writing transaction after its UPDATEs
    value: Any
    committed_at: float  # time.monotonic() once COMMIT returned


@dataclass
class Tally:
    """What one thread did; merged after the run."""

    counts: Counter[str] = field(default_factory=Counter)
    user_writes: dict[tuple[UUID, str], Write] = field(default_factory=dict)
    library_writes: dict[tuple[UUID, str], Write] = field(default_factory=dict)
    library_edits: Counter[UUID] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def keep_latest(into: dict[tuple[UUID, str], Write], key: tuple[UUID, str], write: Write) -> None:
    if key not in into or into[key].order < write.order:
        into[key] = write


def build_world(conn: Conn) -> World:
    """PROJECTS projects each cloning each of GLOBALS globals, plus a second copy of global 0 in project 0."""
    conn.execute("create schema loadtest")
    conn.execute("create sequence loadtest.write_order")
    projects = [new_project(conn, f"Project {p}") for p in range(PROJECTS)]
    globals_ = [
        new_global(
            conn,
            f"Global {g}",
            ASSET_TYPES[g % 3],
            description=f"library description {g}",
            image_key_url=f"https://img.example/{g}.png",
            visual_style_capsule_id=uuid4(),
        )
        for g in range(GLOBALS)
    ]
    copies_of: Counter[UUID] = Counter()
    assets_in: Counter[UUID] = Counter()
    rows = []
    for project in projects:
        for global_id in globals_:
            rows.append(clone(conn, global_id, project))
            copies_of[global_id] += 1
            assets_in[project] += 1
    rows.append(clone(conn, globals_[0], projects[0]))
    copies_of[globals_[0]] += 1
    assets_in[projects[0]] += 1
    return World(projects, globals_, sorted(rows), dict(copies_of), dict(assets_in))


def update_sql(table: str, fields: list[str]) -> sql.Composed:
    return sql.SQL("update {} set {} where id = %s").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(f)) for f in fields),
    )


def next_order(conn: Conn) -> int:
    row = conn.execute("select nextval('loadtest.write_order')").fetchone()
    assert row is not None
    return int(row[0])


# -- the workers ---------------------------------------------------------------------------------------------


def commit_nine_in_ten(conn: Conn, rng: random.Random, tally: Tally, what: str) -> tuple[int, float] | None:
    """End an edit's transaction: draw its order while it still holds its row locks, then roll back one in ten.

    Returns (order, commit time) when it committed, None when it rolled back; counts either as `what`.
    """
    order = next_order(conn)
    if rng.random() < 0.1:
        conn.rollback()
        tally.counts[f"{what} rolled back"] += 1
        return None
    conn.commit()
    tally.counts[f"{what} committed"] += 1
    return order, time.monotonic()


def user_step(conn: Conn, rng: random.Random, me: str, n: int, world: World, tally: Tally) -> None:
    """One user transaction: one row, or two rows in id order; 1 or 2 fields each; 10 % roll back."""
    rows = sorted(rng.sample(world.rows, 2)) if rng.random() < 0.15 else [rng.choice(world.rows)]
    written: dict[tuple[UUID, str], Any] = {}
    for row in rows:
        fields = rng.sample(USER_FIELDS, rng.randint(1, 2))
        values = [uuid4() if f == "visual_style_capsule_id" else f"{me}-{n}-{f}" for f in fields]
        count = conn.execute(update_sql("project_assets", fields), [*values, row]).rowcount
        if count != 1:
            tally.errors.append(f"user UPDATE of project asset {row} touched {count} rows")
        written.update({(row, f): v for f, v in zip(fields, values, strict=True)})
    committed = commit_nine_in_ten(conn, rng, tally, "user edits")
    if committed is None:
        return
    order, committed_at = committed
    for key, value in written.items():
        keep_latest(tally.user_writes, key, Write(order, value, committed_at))
    tally.counts["user field writes committed"] += len(written)


def library_value(rng: random.Random, me: str, n: int, name: str) -> Any:
    if name == "asset_type":
        return rng.choice(ASSET_TYPES)
    if name == "visual_style_capsule_id":
        return uuid4()
    if name == "description" and rng.random() < 0.25:
        return None
    if name == "image_key_url":
        return f"https://img.example/{me}-{n}.png"
    return f"{me}-{n}-{name}"


def library_step(conn: Conn, rng: random.Random, me: str, n: int, world: World, tally: Tally) -> None:
    """One library edit of 1 to 3 fields; always one with a fresh unique value, so it always makes a version."""
    global_id = rng.choice(world.globals)
    fields = rng.sample(SYNCED_FIELDS, rng.randint(1, 3))
    if not {"name", "image_key_url", "visual_style_capsule_id"} & set(fields):
        fields.append("image_key_url")
    values = [library_value(rng, me, n, f) for f in fields]
    count = conn.execute(update_sql("global_assets", fields), [*values, global_id]).rowcount
    if count != 1:
        tally.errors.append(f"library UPDATE of global asset {global_id} touched {count} rows")
    committed = commit_nine_in_ten(conn, rng, tally, "library edits")
    if committed is None:
        return
    order, committed_at = committed
    for name, value in zip(fields, values, strict=True):
        keep_latest(tally.library_writes, (global_id, name), Write(order, value, committed_at))
    tally.library_edits[global_id] += 1


def sync_step(conn: Conn, rng: random.Random, me: str, n: int, world: World, tally: Tally) -> None:
    """One autocommit call: a single sync, a fan-out, a project sync, or a read of the diff and the view."""
    pick = rng.random()
    if pick < 0.45:
        row = rng.choice(world.rows)
        report = sync(conn, row)
        if report["status"] not in ("synced", "up_to_date") or report["project_asset_id"] != str(row):
            tally.errors.append(f"sync_project_asset({row}) reported {report}")
        tally.counts["single syncs"] += 1
    elif pick < 0.75:
        global_id = rng.choice(world.globals)
        visited = scalar(conn, "select sync_global_asset(%s)", [global_id])
        if visited != world.copies_of[global_id]:
            tally.errors.append(f"sync_global_asset({global_id}) visited {visited}, not {world.copies_of[global_id]}")
        tally.counts["fan-out syncs"] += 1
    elif pick < 0.9:
        project = rng.choice(world.projects)
        synced = scalar(conn, "select sync_project(%s)", [project])
        if not 0 <= synced <= world.assets_in[project]:
            tally.errors.append(f"sync_project({project}) synced {synced} of {world.assets_in[project]}")
        tally.counts["project syncs"] += 1
    else:
        row = rng.choice(world.rows)
        fields = conn.execute("select field from project_asset_diff(%s)", [row]).fetchall()
        if [f for (f,) in fields] != SYNCED_FIELDS:
            tally.errors.append(f"project_asset_diff({row}) listed {fields}")
        conn.execute("select count(*) from project_asset_sync_status").fetchone()
        tally.counts["reads (diff, status view)"] += 1


Step = Callable[[Conn, random.Random, str, int, World, Tally], None]


def work(conn: Conn, step: Step, me: str, seed: int, world: World, deadline: float, tally: Tally) -> None:
    """Run step until the deadline; an error is recorded (never raised), then the loop goes on."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not cryptography
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            step(conn, rng, me, n, world, tally)
        except psycopg.Error as error:
            tally.errors.append(f"{me}: SQLSTATE {error.sqlstate}: {' '.join(str(error).split())[:400]}")
            if conn.broken or conn.closed:
                return
            conn.rollback()
        except Exception as error:  # a bug of the test itself: report it like the rest
            tally.errors.append(f"{me}: {type(error).__name__}: {error}")
            return


def monitor_lock_waits(conn: Conn, pids: list[int], stop: threading.Event, tally: Tally) -> None:
    """Observation only (not synchronisation): how often some worker was seen waiting on a lock."""
    while not stop.is_set():
        row = conn.execute(
            "select count(*) from pg_stat_activity where pid = any(%s) and wait_event_type = 'Lock'", [pids]
        ).fetchone()
        tally.counts["samples"] += 1
        if row is not None and row[0]:
            tally.counts["samples with a worker waiting on a lock"] += 1
        stop.wait(0.01)


@dataclass
class Run:
    started: float  # time.monotonic() at the start
    seconds: float
    connections: int
    counts: Counter[str]
    user_writes: dict[tuple[UUID, str], Write]
    library_writes: dict[tuple[UUID, str], Write]
    library_edits: Counter[UUID]
    errors: list[str]

    @property
    def operations(self) -> int:
        kinds = ("user edits", "library edits", "single syncs", "fan-out syncs", "project syncs", "reads")
        return sum(v for k, v in self.counts.items() if k.startswith(kinds) and "field writes" not in k)

    def summary(self) -> str:
        shown = {k: v for k, v in sorted(self.counts.items()) if not k.startswith("samples")}
        waits = f"{self.counts['samples with a worker waiting on a lock']}/{self.counts['samples']}"
        return (
            f"load: {self.seconds:.1f} s, {self.connections} connections, {self.operations} operations "
            f"({', '.join(f'{k} {v}' for k, v in shown.items())}); lock waits seen in {waits} samples; "
            f"errors {len(self.errors)}"
        )


def run_load(url: str, world: World, seconds: float, seed: int) -> Run:
    plan: list[tuple[str, Step, bool]] = []  # (thread name, what it does, autocommit)
    plan += [(f"user{i}", user_step, False) for i in range(USERS)]
    plan += [(f"lib{i}", library_step, False) for i in range(LIBRARIANS)]
    plan += [(f"sync{i}", sync_step, True) for i in range(SYNCERS)]
    connections: list[Conn] = []  # the workers', in plan order, then the monitor's
    tallies = [Tally() for _ in plan]
    watch = Tally()
    stop = threading.Event()
    try:
        for _name, _step, autocommit in plan:
            worker = psycopg.connect(url, autocommit=autocommit)
            connections.append(worker)
            worker.execute(f"set statement_timeout = '{STATEMENT_TIMEOUT}'")
            if not autocommit:
                worker.commit()
        monitor = psycopg.connect(url, autocommit=True)
        connections.append(monitor)
        pids = [c.info.backend_pid for c in connections[:-1]]
        start = time.monotonic()
        deadline = start + seconds
        threads = [
            threading.Thread(target=work, args=(conn, step, name, seed * 100 + i, world, deadline, tally), name=name)
            for i, ((name, step, _), conn, tally) in enumerate(
                zip(plan, connections[: len(plan)], tallies, strict=True)
            )
        ]
        watcher = threading.Thread(target=monitor_lock_waits, args=(monitor, pids, stop, watch), name="monitor")
        for thread in [*threads, watcher]:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        elapsed = time.monotonic() - start
        stop.set()
        watcher.join(timeout=10)
        hung = [t.name for t in [*threads, watcher] if t.is_alive()]
        assert not hung, f"workers still running long after the deadline: {hung}"
    finally:
        stop.set()
        for conn in connections:
            conn.close()
    merged = Run(start, elapsed, len(plan), Counter(), {}, {}, Counter(), [])
    for tally in [*tallies, watch]:
        merged.counts.update(tally.counts)
        merged.library_edits.update(tally.library_edits)
        merged.errors.extend(tally.errors)
        for key, write in tally.user_writes.items():
            keep_latest(merged.user_writes, key, write)
        for key, write in tally.library_writes.items():
            keep_latest(merged.library_writes, key, write)
    return merged


# -- the test ------------------------------------------------------------------------------------------------


def as_json_value(value: Any) -> Any:
    """A column value as it appears inside a jsonb conflict entry."""
    return str(value) if isinstance(value, UUID) else value


def test_mixed_load_loses_no_edit_and_raises_no_error(conn: Conn, db_url: str) -> None:
    world = build_world(conn)
    seed = int(os.environ.get("ASSETSYNC_LOAD_SEED", random.randrange(1 << 30)))  # noqa: S311
    run = run_load(db_url, world, DURATION_SECONDS, seed)
    print(f"\n{run.summary()} (seed {seed})")

    unexpected = [e for e in run.errors if not any(f"SQLSTATE {s}" in e for s in DOCUMENTED_ERRORS)]
    assert not unexpected, f"{len(unexpected)} error(s) under load (seed {seed}), first ones:\n" + "\n".join(
        unexpected[:10]
    )
    for kind in ("user edits committed", "library edits committed", "single syncs", "fan-out syncs", "project syncs"):
        assert run.counts[kind] > 0, f"the run did no {kind}: {run.summary()}"

    # Every field whose last committed write came from a user holds it and is marked; no other field is.
    lost = []
    for row_id in world.rows:
        row = project_asset(conn, row_id)
        mine = {f: w for (r, f), w in run.user_writes.items() if r == row_id}
        if set(row["overridden_fields"]) != set(mine) or len(row["overridden_fields"]) != len(mine):
            lost.append(f"{row_id}: overridden_fields {row['overridden_fields']}, user-written {sorted(mine)}")
        lost += [
            f"{row_id}.{f}: {row[f]!r}, but the last user write (order {w.order}, committed "
            f"{w.committed_at - run.started:.3f} s into the run) was {w.value!r}"
            for f, w in mine.items()
            if row[f] != w.value
        ]
    assert not lost, f"user edits lost under load (seed {seed}):\n" + "\n".join(lost)

    # Every global holds its last library write, at version 1 + its committed edits, with every snapshot.
    for global_id in world.globals:
        current = global_asset(conn, global_id)
        assert current["version"] == 1 + run.library_edits[global_id], global_id
        versions = conn.execute(
            "select array_agg(version order by version) from global_asset_versions where global_asset_id = %s",
            [global_id],
        ).fetchone()
        assert versions == (list(range(1, current["version"] + 1)),)
        for (g, name), write in run.library_writes.items():
            if g == global_id:
                assert current[name] == write.value, f"{global_id}.{name}: last library write lost"

    # A final sync of everything: unmarked fields equal the global, marked ones keep the user's value.
    for global_id in world.globals:
        conn.execute("select sync_global_asset(%s)", [global_id])
    for row_id in world.rows:
        row = project_asset(conn, row_id)
        glob = global_asset(conn, row["global_asset_id"])
        assert row["global_version"] == glob["version"]
        for name in SYNCED_FIELDS:
            if name in row["overridden_fields"]:
                assert row[name] == run.user_writes[(row_id, name)].value
            else:
                assert row[name] == glob[name], f"{row_id}.{name} not pulled: {row[name]!r} vs {glob[name]!r}"
        for name, entry in row["sync_conflicts"].items():
            assert name in row["overridden_fields"], f"{row_id}: conflict on an unmarked field {name}"
            assert entry["global"] == as_json_value(glob[name]), f"{row_id}.{name}: stale conflict {entry}"
            assert entry["local"] != entry["global"]
        report = sync(conn, row_id)
        assert report["status"] == "up_to_date", report


# -- an interleaving test_sync.py does not cover ---------------------------------------------------------------


@pytest.fixture
def sessions(db_url: str) -> Iterator[Callable[..., Conn]]:
    """Open extra client connections; all are closed (rolling back anything open) on the way out."""
    with client_sessions(db_url, STATEMENT_TIMEOUT) as open_session:
        yield open_session


def test_sync_project_waits_for_an_uncommitted_edit_and_keeps_it(conn: Conn, sessions: Callable[[bool], Conn]) -> None:
    project = new_project(conn)
    first, second = new_global(conn, "First"), new_global(conn, "Second")
    copies = [clone(conn, first, project), clone(conn, second, project)]
    update(conn, "global_assets", first, description="library v2")
    update(conn, "global_assets", second, description="library v2")
    editor, syncer = sessions(False), sessions(True)
    editor.execute("update project_assets set description = 'mine' where id = %s", [max(copies)])
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(scalar, syncer, "select sync_project(%s)", [project])
        wait_until_blocked(conn, syncer.info.backend_pid, editor.info.backend_pid)
        assert not pending.done()
        editor.commit()
        assert pending.result(timeout=WAIT_LIMIT_SECONDS) == 2
    edited, other = project_asset(conn, max(copies)), project_asset(conn, min(copies))
    assert (edited["description"], edited["overridden_fields"]) == ("mine", ["description"])
    assert edited["global_version"] == 2
    assert edited["sync_conflicts"]["description"]["global"] == "library v2"
    assert (other["description"], other["overridden_fields"], other["global_version"]) == ("library v2", [], 2)
