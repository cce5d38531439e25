"""Fault injection: a backend killed mid-sync, a statement timeout mid fan-out, a runner killed between two
migrations, and the server stopped under the CLI.

Every fault is placed deterministically: the victim is made to wait on a lock the test holds (a row lock, or
an advisory lock taken by a test-only BEFORE UPDATE trigger in the middle of the sync's UPDATE), the test
polls pg_stat_activity / pg_locks (bounded) until the victim waits there, and only then strikes; a statement
timeout strikes by itself, and the error's context (and the trigger's NOTICE) shows where. No sleep is used
as synchronisation, and every wait has a limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from assetsync.runner import LOCK_KEY
from assetsync.server import LocalServer, embedded_bin_dir
from blocking import WAIT_LIMIT_SECONDS, poll_until, wait_until_blocked, wait_until_gone
from pg import TEST_SETTINGS, PgServer, client_sessions, throwaway_database
from story import CLEAN, GREY, TORN
from support import Conn, clone, new_global, new_project, project_asset, scalar, sync, tables_snapshot, update

PAUSE_LOCK = 4242  # the advisory lock the pause trigger waits on, held by the test
CLI_TIMEOUT_SECONDS = 60.0

# A test-only BEFORE UPDATE trigger, fired after the library's own tracking trigger (names sort after
# project_assets_100_track): in a session that set faults.pause_at = N, the N-th library write of a
# project asset (counted by a sequence) first waits on advisory lock PAUSE_LOCK. Rows the same UPDATE
# wrote before are already in the heap, uncommitted: the fault strikes in the middle of the statement.
# Other sessions never pause. Every name is schema-qualified, so the function needs no search_path.
PAUSE_TRIGGER_SQL = f"""
create schema faults;
create sequence faults.library_writes;
create function faults.pause_library_write() returns trigger
language plpgsql
as $fn$
declare
    v_pause_at bigint := nullif(pg_catalog.current_setting('faults.pause_at', true), '')::bigint;
    v_count bigint;
begin
    if v_pause_at is not null and pg_catalog.current_setting('assetsync.writer', true) = 'library' then
        v_count := pg_catalog.nextval('faults.library_writes');
        if v_count = v_pause_at then
            raise notice 'faults: pausing library write % of project asset %', v_count, new.id;
            perform pg_catalog.pg_advisory_xact_lock({PAUSE_LOCK});
        end if;
    end if;
    return new;
end;
$fn$;
create trigger project_assets_zzz_fault_pause
before update on public.project_assets
for each row execute function faults.pause_library_write();
"""


@pytest.fixture(scope="module")
def shared_url(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """One migrated database, with the pause trigger, for the sync faults: each test makes its own rows."""
    with throwaway_database(pg_server, template_db) as url:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(PAUSE_TRIGGER_SQL)
        yield url


@pytest.fixture
def db(shared_url: str) -> Iterator[Conn]:
    """An autocommit superuser connection to the module's database; the pause counter starts afresh."""
    with psycopg.connect(shared_url, autocommit=True) as connection:
        connection.execute("alter sequence faults.library_writes restart")
        yield connection


@pytest.fixture
def sessions(shared_url: str) -> Iterator[Callable[..., Conn]]:
    """Open extra clients of the module's database; all are closed (rolling back anything open) at the end."""
    with client_sessions(shared_url, "30s") as open_session:
        yield open_session


# -- (a) a backend killed mid-sync ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    target: UUID  # global at version 2 (new description, new image), five copies
    project: UUID  # holds three of the copies
    copies: list[UUID]  # every copy of target, in id order
    edited: UUID  # the copy whose description the project overrode (in project)
    bystander: UUID  # a copy of another global (also at version 2), in another project
    in_project: frozenset[UUID]  # the copies in project

    def affected_by(self, call: str) -> list[UUID]:
        """The copies a successful call syncs."""
        if "sync_project_asset" in call:
            return [self.copies[-1]]
        if "sync_global_asset" in call:
            return self.copies
        return [c for c in self.copies if c in self.in_project]


NEW_IMAGE = "https://img.example/2.png"


def build_library(conn: Conn) -> Library:
    project, elsewhere = new_project(conn, "Project A"), new_project(conn, "Project B")
    target = new_global(conn, "John Doe", description=CLEAN, image_key_url="https://img.example/1.png")
    other = new_global(conn, "Jane Doe", description="red coat")
    in_project = [clone(conn, target, project) for _ in range(3)]
    copies = in_project + [clone(conn, target, new_project(conn, f"Project {i}")) for i in range(2)]
    bystander = clone(conn, other, elsewhere)
    update(conn, "project_assets", in_project[1], description=TORN)  # an override the sync must keep
    update(conn, "global_assets", target, description=GREY, image_key_url=NEW_IMAGE)
    update(conn, "global_assets", other, description="blue coat")
    return Library(target, project, sorted(copies), in_project[1], bystander, frozenset(in_project))


# (call, its argument, which lock makes it wait: a row lock on the last copy in id order, or the pause
# trigger at the N-th library write of the victim's transaction, where the bystander's sync is write 1)
KILL_CASES = {
    "sync_project_asset-waiting-for-the-row-lock": ("select sync_project_asset(%s)", "last_copy", "row", 0),
    "sync_project_asset-inside-its-update": ("select sync_project_asset(%s)", "last_copy", "pause", 2),
    "sync_global_asset-waiting-for-the-last-row-lock": ("select sync_global_asset(%s)", "target", "row", 0),
    "sync_global_asset-inside-its-update-after-two-rows": ("select sync_global_asset(%s)", "target", "pause", 4),
    "sync_project-inside-its-update-after-one-row": ("select sync_project(%s)", "project", "pause", 3),
}


def argument(library: Library, name: str) -> UUID:
    return {"last_copy": library.copies[-1], "target": library.target, "project": library.project}[name]


def assert_synced(conn: Conn, library: Library, rows: list[UUID]) -> None:
    """The rows are at version 2 with the new image; the edited copy kept its override, with a conflict."""
    for row_id in rows:
        row = project_asset(conn, row_id)
        assert (row["global_version"], row["image_key_url"]) == (2, NEW_IMAGE), row_id
        if row_id == library.edited:
            assert (row["description"], row["overridden_fields"]) == (TORN, ["description"])
            assert row["sync_conflicts"]["description"]["global"] == GREY
        else:
            assert (row["description"], row["overridden_fields"]) == (GREY, [])


@pytest.mark.parametrize("case", list(KILL_CASES))
def test_a_backend_killed_mid_sync_leaves_every_row_as_before(
    db: Conn, sessions: Callable[..., Conn], case: str
) -> None:
    call, arg_name, lock, pause_at = KILL_CASES[case]
    library = build_library(db)
    blocker = sessions(autocommit=False)
    if lock == "row":
        blocker.execute("select from project_assets where id = %s for update", [library.copies[-1]])
        event = None
    else:
        blocker.execute("select pg_advisory_lock(%s)", [PAUSE_LOCK])
        blocker.commit()
        event = "advisory"
    before = tables_snapshot(db)
    victim = sessions(autocommit=False, **({"faults.pause_at": str(pause_at)} if pause_at else {}))
    victim_pid = victim.info.backend_pid
    # The victim's transaction has already synced another row: that write must be rolled back too.
    assert sync(victim, library.bystander)["status"] == "synced"
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[Any] = pool.submit(scalar, victim, call, [argument(library, arg_name)])
        wait_until_blocked(db, victim_pid, blocker.info.backend_pid, event)
        assert not pending.done()
        assert scalar(db, "select pg_terminate_backend(%s)", [victim_pid]) is True
        with pytest.raises(psycopg.OperationalError) as killed:
            pending.result(timeout=WAIT_LIMIT_SECONDS)
    assert killed.value.sqlstate in ("57P01", None), killed.value  # None: the socket closed before the message
    wait_until_gone(db, victim_pid)
    blocker.rollback()
    blocker.execute("select pg_advisory_unlock_all()")
    blocker.commit()

    assert tables_snapshot(db) == before, f"{case}: the killed sync left changes behind"
    # A later sync (in a session that does not pause) does the whole job, and the override is kept.
    db.execute(call, [argument(library, arg_name)])
    assert_synced(db, library, library.affected_by(call))


# -- (b) a statement timeout in the middle of a fan-out ------------------------------------------------------

FAN_OUT_PROJECTS, COPIES_PER_PROJECT = 60, 2
OLD_URL, NEW_URL = "https://img.example/crowd-1.png", "https://img.example/crowd-2.png"
# Generous where the fan-out must first lock 120 rows and write 60 (then pause); short where it only waits.
PAUSED_TIMEOUT, LOCKED_TIMEOUT = "1s", "300ms"
TIMEOUT_CASES = {
    "waiting-for-a-lock-on-the-last-copy-in-id-order": "row",
    "inside-its-update-after-half-the-copies": "pause",
}


@pytest.mark.parametrize("case", list(TIMEOUT_CASES))
def test_a_statement_timeout_during_a_fan_out_leaves_every_copy_untouched(
    db: Conn, sessions: Callable[..., Conn], case: str
) -> None:
    lock = TIMEOUT_CASES[case]
    target = new_global(db, "Crowd", description="v1", image_key_url=OLD_URL)
    db.execute(
        "insert into projects (name) select 'Project ' || i from generate_series(1, %s) as i", [FAN_OUT_PROJECTS]
    )
    copies = sorted(
        row[0]
        for row in db.execute(
            "select clone_global_asset(%s, p.id) from projects as p cross join generate_series(1, %s)",
            [target, COPIES_PER_PROJECT],
        )
    )
    overridden = copies[::10]  # some copies keep a local description: the fan-out also writes conflicts
    db.execute("update project_assets set description = 'local ' || id where id = any(%s)", [overridden])
    update(db, "global_assets", target, description="v2", image_key_url=NEW_URL)
    blocker = sessions(autocommit=False)
    if lock == "row":
        blocker.execute("select from project_assets where id = %s for update", [copies[-1]])
        settings = {"statement_timeout": LOCKED_TIMEOUT}
    else:
        blocker.execute("select pg_advisory_lock(%s)", [PAUSE_LOCK])
        blocker.commit()
        settings = {"statement_timeout": PAUSED_TIMEOUT, "faults.pause_at": str(len(copies) // 2 + 1)}
    before = tables_snapshot(db)
    victim = sessions(**settings)
    notices: list[str] = []
    victim.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))

    with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
        victim.execute("select sync_global_asset(%s)", [target])
    assert cancelled.value.diag.message_primary == "canceling statement due to statement timeout"
    context = cancelled.value.diag.context or ""
    if lock == "pause":  # cancelled inside the one UPDATE, with half the copies already written
        assert len(notices) == 1 and notices[0].startswith(f"faults: pausing library write {len(copies) // 2 + 1} ")
        assert "assetsync.pull" in context and "pause_library_write" in context, context
    else:  # cancelled while locking the copies in id order, before the UPDATE
        assert "sync_global_asset" in context and "assetsync.pull" not in context, context

    # Every copy is either fully synced or untouched; being one statement, all are untouched.
    states = Counter(
        "synced" if (gv, url) == (2, NEW_URL) else "untouched" if (gv, url) == (1, OLD_URL) else f"partial {gv} {url}"
        for gv, url in db.execute(
            "select global_version, image_key_url from project_assets where id = any(%s)", [copies]
        )
    )
    assert states == Counter({"untouched": len(copies)})
    assert tables_snapshot(db) == before

    blocker.rollback()
    blocker.execute("select pg_advisory_unlock_all()")
    blocker.commit()
    # The same fan-out with time enough syncs every copy fully.
    assert scalar(db, "select sync_global_asset(%s)", [target]) == len(copies)
    rows = db.execute(
        "select id, global_version, image_key_url, description, overridden_fields from project_assets "
        "where id = any(%s)",
        [copies],
    ).fetchall()
    for row_id, global_version, url, description, marks in rows:
        assert (global_version, url) == (2, NEW_URL)
        if row_id in overridden:
            assert (description, marks) == (f"local {row_id}", ["description"])
        else:
            assert (description, marks) == ("v2", [])


# -- (c) the migration runner killed between two migrations ------------------------------------------------

MIGRATION_LOCK = 4243  # advisory lock migration 002 waits on, held by the test
MIGRATION_FILES = ["migrations/001_first.sql", "migrations/002_second.sql", "migrations/003_third.sql"]


def write_db_dir(root: Path) -> Path:
    """A db directory of three migrations; the second waits on advisory lock MIGRATION_LOCK halfway."""
    migrations = root / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "001_first.sql").write_text("create table public.first (id integer);\n")
    (migrations / "002_second.sql").write_text(
        "create table public.second (id integer);\n"
        f"select pg_advisory_xact_lock({MIGRATION_LOCK});\n"
        "insert into public.second values (2);\n"
    )
    (migrations / "003_third.sql").write_text("create table public.third (id integer);\n")
    return root / "db"


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "assetsync", *args]


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ASSETSYNC_HOME")}


def start_cli(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args), cwd=cwd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


def runner_backend(monitor: Conn) -> int:
    """The pid of the runner's backend on the monitor's database (it connects as application 'assetsync')."""
    found: list[int] = []

    def connected() -> bool:
        found[:] = [
            pid
            for (pid,) in monitor.execute(
                "select pid from pg_stat_activity where datname = current_database() and application_name = 'assetsync'"
            )
        ]
        return len(found) == 1

    poll_until(connected, "the runner has connected")
    return found[0]


def history(conn: Conn) -> list[str]:
    if scalar(conn, "select to_regclass('assetsync.migration_history') is null"):
        return []
    return [f for (f,) in conn.execute("select file from assetsync.migration_history order by id")]


def test_a_runner_killed_between_two_migrations_resumes_cleanly(empty_db_url: str, tmp_path: Path) -> None:
    db_dir = write_db_dir(tmp_path)
    migrate = ("migrate", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", [MIGRATION_LOCK])
        process = start_cli(tmp_path, *migrate)
        try:
            orphan = runner_backend(holder)
            wait_until_blocked(holder, orphan, holder.info.backend_pid, "advisory")
            assert history(holder) == MIGRATION_FILES[:1]
            process.kill()  # SIGKILL: no cleanup of any kind on the client side
            process.communicate(timeout=CLI_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == -9
        holder.execute("select pg_advisory_unlock(%s)", [MIGRATION_LOCK])
        # The orphaned backend finds its client gone once its statement ends, and rolls migration 002 back.
        wait_until_gone(holder, orphan)
        assert history(holder) == MIGRATION_FILES[:1]
        assert scalar(holder, "select to_regclass('public.second')") is None

        resumed = run_cli(tmp_path, *migrate)
        assert resumed.returncode == 0, resumed.stderr
        assert [line.split(" (")[0] for line in resumed.stdout.splitlines() if line.startswith("applied")] == [
            f"applied {f}" for f in MIGRATION_FILES[1:]
        ], resumed.stdout
        assert history(holder) == MIGRATION_FILES  # each file exactly once, in order
        assert holder.execute("select id from public.second").fetchall() == [(2,)]


# -- (d) the server stopped under the CLI ------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_server(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A throwaway server of our own (the session's binaries), so that a test may stop it."""
    server = LocalServer(
        home=tmp_path_factory.mktemp("private-server"),
        bin_dir=pg_server.bin_dir or embedded_bin_dir(),
        settings=TEST_SETTINGS,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class PrivateDb:
    server: LocalServer
    name: str

    def url(self) -> str:
        """The URL now: a restarted server may have had to take another port."""
        return self.server.url(self.name)


@pytest.fixture
def private_db(private_server: LocalServer) -> PrivateDb:
    """A fresh database on the private server, which is (re)started first: an earlier test may have stopped it."""
    admin_url = private_server.start()
    name = f"cli_{os.urandom(6).hex()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return PrivateDb(private_server, name)


def assert_one_readable_line(result: subprocess.CompletedProcess[str] | tuple[int, str], *expected: str) -> str:
    """Non-zero exit, exactly one line on stderr, no traceback; return that line."""
    code, stderr = (result.returncode, result.stderr) if isinstance(result, subprocess.CompletedProcess) else result
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code != 0, stderr
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("assetsync: ") and len(line) < 500, line
    for text in expected:
        assert text in line, line
    return line


def stop_the_server_while_migrate_waits(private_db: PrivateDb, db_dir: Path, lock_key: int) -> tuple[int, str, str]:
    """Hold advisory lock lock_key, run `assetsync migrate` until it waits on that lock, then stop the server (fast
    shutdown: every session is terminated); return the CLI's exit code, stdout and stderr."""
    holder = psycopg.connect(private_db.url(), autocommit=True)
    try:
        holder.execute("select pg_advisory_lock(%s)", [lock_key])
        process = start_cli(db_dir.parent, "migrate", "--dsn", private_db.url(), "--db-dir", str(db_dir))
        try:
            backend = runner_backend(holder)
            if lock_key == LOCK_KEY:
                # The runner polls pg_try_advisory_lock() (waiting without a snapshot): wait until it has tried.
                poll_until(
                    lambda: bool(
                        scalar(
                            holder,
                            "select query like '%%pg_try_advisory_lock%%' from pg_stat_activity where pid = %s",
                            [backend],
                        )
                    ),
                    "the runner is waiting for its lock",
                )
            else:
                wait_until_blocked(holder, backend, holder.info.backend_pid, "advisory")
            private_db.server.stop()
            stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    finally:
        holder.close()
    return process.returncode, stdout, stderr


def test_cli_reports_a_server_stopped_while_a_migration_waits_on_a_lock(private_db: PrivateDb, tmp_path: Path) -> None:
    db_dir = write_db_dir(tmp_path)
    code, stdout, stderr = stop_the_server_while_migrate_waits(private_db, db_dir, MIGRATION_LOCK)
    line = assert_one_readable_line((code, stderr), "migrations/002_second.sql", "rolled back")
    print(f"\nserver stopped during a migration: {line}")
    assert stdout.splitlines()[0].startswith("applied migrations/001_first.sql"), stdout

    private_db.server.start()  # the restart: the next run resumes at migration 002
    resumed = run_cli(tmp_path, "migrate", "--dsn", private_db.url(), "--db-dir", str(db_dir))
    assert resumed.returncode == 0, resumed.stderr
    with psycopg.connect(private_db.url(), autocommit=True) as check:
        assert history(check) == MIGRATION_FILES


def test_cli_reports_a_server_stopped_while_migrate_waits_for_another_runner(
    private_db: PrivateDb, tmp_path: Path
) -> None:
    # LOCK_KEY: as if another runner were at work
    code, _stdout, stderr = stop_the_server_while_migrate_waits(private_db, write_db_dir(tmp_path), LOCK_KEY)
    line = assert_one_readable_line((code, stderr), "terminating connection")
    print(f"\nserver stopped while waiting for the runner lock: {line}")


def test_cli_reports_a_server_that_is_down_before_it_connects(private_db: PrivateDb, tmp_path: Path) -> None:
    url = private_db.url()
    private_db.server.stop()
    for command in ("migrate", "status"):
        result = run_cli(tmp_path / command, command, "--dsn", url, "--db-dir", str(write_db_dir(tmp_path / command)))
        line = assert_one_readable_line(result, "cannot connect to the database")
        print(f"\nserver down ({command}): {line}")
