"""The migration runner: connects, takes the lock, applies what the plan says, records it.

Every run holds a PostgreSQL session advisory lock (LOCK_KEY) for its whole length, so concurrent
runners apply everything exactly once: the second waits, then finds nothing to do. It waits by polling
pg_try_advisory_lock() in autocommit, so that while it waits it holds no snapshot: a blocked
pg_advisory_lock() would hold one, and the other run's CREATE INDEX CONCURRENTLY would wait for it.
Each migration runs in its own transaction, except one whose first line is
`-- assetsync: no-transaction`, which runs statement by statement in autocommit. The changed
repeatable files and the call to public.asset_sync_refresh() run together in one transaction.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg import sql

from assetsync.files import Kind, MigrationError, Project, SqlFile, load_project
from assetsync.plan import Classification, classify, history_exists, plan, read_history
from assetsync.redact import mask
from assetsync.sqlsplit import split_statements

# int.from_bytes(b"assetsyn", "big"): the key of the advisory lock held by every run.
LOCK_KEY = 7022083123583351150
REFRESH_FUNCTION = "public.asset_sync_refresh()"
# The tables assetsync creates and an app may hold data in; a database that has them without assetsync's
# history belongs to somebody else (attaching to them is a later feature).
DATA_TABLES = ("projects", "global_assets", "project_assets")
# The migrations that create assetsync's own tables, their view and grants. Under --attach an app's tables take
# their place, so these are recorded without running (migrations that landed are never edited, so the list
# lives here rather than as a marker in the files). Migrations after them work on whichever pair is attached.
DEFAULT_TABLE_MIGRATIONS = frozenset(
    f"migrations/{name}.sql"
    for name in (
        "003_projects",
        "004_global_assets",
        "005_global_asset_versions",
        "006_project_assets",
        "007_project_asset_sync_status",
        "008_privileges",
    )
)


@dataclass(frozen=True)
class Attach:
    """`--attach LIBRARY COPIES [--option KEY=VALUE]...`: the app's tables to attach, and the options as strings."""

    library: str
    copies: str
    options: dict[str, str] = field(default_factory=dict)

    def call(self) -> tuple[str, tuple[str, str, str]]:
        query = "select public.asset_sync_attach(%s::regclass, %s::regclass, %s::jsonb)"
        return query, (self.library, self.copies, json.dumps(self.options, sort_keys=True))
_LOCK_POLL_S = (0.01, 0.25)  # first and longest pause between two tries of the lock

_HISTORY_INSERT = (
    "insert into assetsync.migration_history (file, kind, migration_number, checksum, duration_ms) "
    "values (%s, %s, %s, %s, %s)"
)


def bootstrap_sql() -> str:
    """The DDL of the history table (schema assetsync, RLS, comments), safe to run again."""
    return (resources.files("assetsync") / "bootstrap.sql").read_text(encoding="utf-8")


# -- errors -----------------------------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _describe(exc: psycopg.Error, file: SqlFile, text: str, base_offset: int = 0) -> str:
    """`file:line:col: message` for a PostgreSQL error raised by a query starting at base_offset."""
    diag = exc.diag
    message = (diag.message_primary or str(exc)).strip()
    where = file.name
    if diag.statement_position:
        line, col = _line_col(text, base_offset + int(diag.statement_position) - 1)
        where = f"{file.name}:{line}:{col}"
    extra = ""
    if diag.sqlstate:
        extra += f" (SQLSTATE {diag.sqlstate})"
    if diag.context and not diag.statement_position:
        extra += f" [context: {' / '.join(diag.context.strip().splitlines())}]"
    return f"{where}: {message}{extra}"


def database_error(exc: psycopg.Error) -> str:
    """One line: the message, its SQLSTATE and its DETAIL (which names, e.g., a dependent object)."""
    diag = exc.diag
    text = one_line(diag.message_primary or str(exc))
    if exc.sqlstate:
        text += f" (SQLSTATE {exc.sqlstate})"
    if diag.message_detail:
        text += f": {one_line(diag.message_detail)}"
    return text


# -- connection and lock ----------------------------------------------------------------

Echo = Callable[[str], None]


def _ignore(_line: str) -> None:
    return None


def _ms_since(start: float) -> int:
    return round((time.monotonic() - start) * 1000)


@contextmanager
def connect(dsn: str, on_notice: Echo = _ignore) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection; every psycopg error leaves as one MigrationError line, passwords masked."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, application_name="assetsync")
    except psycopg.Error as exc:
        raise MigrationError(f"cannot connect to the database: {mask(one_line(str(exc)), dsn)}") from exc

    fatal: list[str] = []  # a FATAL that arrives between two queries (server shutdown) comes as a notice

    def handler(diag: psycopg.errors.Diagnostic) -> None:
        if diag.severity_nonlocalized in ("FATAL", "PANIC"):
            fatal.append(diag.message_primary or "")
            return
        on_notice(f"{diag.severity or 'NOTICE'}: {diag.message_primary or ''}".strip())

    conn.add_notice_handler(handler)
    # If this process dies while a statement runs (killed runner), the server notices within seconds
    # and ends the session, releasing the advisory lock for the next run (PostgreSQL 14+).
    with suppress(psycopg.Error):
        conn.execute("set client_connection_check_interval = '5s'")
    try:
        yield conn
    except psycopg.OperationalError as exc:
        reason = "; ".join([*fatal, one_line(str(exc))])
        raise MigrationError(
            f"lost the connection to the database ({mask(reason, dsn)}); every file reported as "
            "applied before this stays applied, nothing else was recorded"
        ) from exc
    except psycopg.Error as exc:
        raise MigrationError(f"database error: {mask(database_error(exc), dsn)}") from exc
    finally:
        conn.close()


@contextmanager
def advisory_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold LOCK_KEY; wait for it by polling in autocommit, holding no snapshot between tries."""
    pause = _LOCK_POLL_S[0]
    while True:
        row = conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if row and row[0]:
            break
        time.sleep(pause)
        pause = min(pause * 2, _LOCK_POLL_S[1])
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            with suppress(psycopg.Error):  # closing the connection releases it anyway
                conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))


def _execute_script(conn: psycopg.Connection[Any], text: str) -> None:
    """Run a whole script (simple query protocol: several statements, no parameters)."""
    conn.execute(cast(Any, text), prepare=False)


# -- applying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    file: str
    kind: Kind
    duration_ms: int


@dataclass
class MigrateResult:
    applied: list[Applied] = field(default_factory=list)
    refreshed: bool = False
    dry_run: bool = False
    would_apply: list[str] = field(default_factory=list)
    duration_ms: int = 0

    @property
    def files(self) -> list[str]:
        return [a.file for a in self.applied]


_INVALID_INDEXES = """
select i.indexrelid::regclass::text
from pg_catalog.pg_index as i
join pg_catalog.pg_class as c on c.oid = i.indexrelid
where not i.indisvalid and c.relnamespace not in ('pg_catalog'::regnamespace, 'pg_toast'::regnamespace)
"""


def _invalid_indexes(conn: psycopg.Connection[Any]) -> set[str]:
    return {str(row[0]) for row in conn.execute(_INVALID_INDEXES)}


def _apply_no_transaction(conn: psycopg.Connection[Any], file: SqlFile, text: str) -> None:
    """Statement by statement in autocommit; refuse to record a file that leaves an index invalid."""
    invalid_before = _invalid_indexes(conn)
    statements = split_statements(text)
    for index, statement in enumerate(statements):
        try:
            _execute_script(conn, statement.text)
        except psycopg.Error as exc:
            kept = (
                f"the {index} statement(s) before it stayed applied (no-transaction migration); "
                "the file is not recorded as applied, so make its statements safe to run again"
                if index
                else "nothing of it was applied"
            )
            raise MigrationError(
                f"{_describe(exc, file, text, statement.offset)}; statement {index + 1} of "
                f"{len(statements)} failed; {kept}"
            ) from exc
    # An index an earlier, failed CREATE INDEX CONCURRENTLY left invalid is skipped by IF NOT EXISTS.
    def named_in_file(index: str) -> bool:
        bare = index.rsplit(".", 1)[-1].strip('"')
        return re.search(rf"(?<![\w$]){re.escape(bare)}(?![\w$])", text, re.IGNORECASE) is not None

    invalid = sorted(name for name in _invalid_indexes(conn) if name not in invalid_before or named_in_file(name))
    if invalid:
        raise MigrationError(
            f"{file.name}: leaves invalid index(es) {', '.join(invalid)} (an interrupted CREATE INDEX "
            "CONCURRENTLY); drop them and run migrate again; the file is not recorded as applied"
        )


def _apply_migration(conn: psycopg.Connection[Any], file: SqlFile) -> int:
    text = file.text
    start = time.monotonic()
    if file.no_transaction:
        _apply_no_transaction(conn, file, text)
        duration = _ms_since(start)
        conn.execute(_HISTORY_INSERT, (file.name, file.kind, file.number, file.checksum, duration))
        return duration
    try:
        with conn.transaction():
            _execute_script(conn, text)
            duration = _ms_since(start)
            conn.execute(_HISTORY_INSERT, (file.name, file.kind, file.number, file.checksum, duration))
    except psycopg.Error as exc:
        raise MigrationError(f"{_describe(exc, file, text)}; the migration was rolled back") from exc
    return duration


def _refresh_exists(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("select to_regprocedure(%s) is not null", (REFRESH_FUNCTION,)).fetchone()
    return bool(row and row[0])


def _refresh(conn: psycopg.Connection[Any], lines: list[str]) -> bool:
    """Call asset_sync_refresh() when it exists; True when it was called."""
    if not _refresh_exists(conn):
        return False
    start = time.monotonic()
    try:
        conn.execute("select public.asset_sync_refresh()")
    except psycopg.Error as exc:
        raise MigrationError(
            f"{REFRESH_FUNCTION} failed: {one_line(exc.diag.message_primary or str(exc))}"
            f"; no repeatable file of this run was applied"
        ) from exc
    lines.append(f"called {REFRESH_FUNCTION} ({_ms_since(start)} ms)")
    return True


def _attach(conn: psycopg.Connection[Any], attach: Attach | None, lines: list[str]) -> None:
    """Call asset_sync_attach() for --attach; its refusals are one line with their SQLSTATE."""
    if attach is None:
        return
    query, params = attach.call()
    try:
        conn.execute(cast(Any, query), params)
    except psycopg.Error as exc:
        hint = f" (hint: {one_line(exc.diag.message_hint)})" if exc.diag.message_hint else ""
        raise MigrationError(f"{database_error(exc)}{hint}; nothing was installed or attached") from exc
    lines.append(f"attached {attach.library} (library) and {attach.copies} (copies)")


def _apply_repeatables(
    conn: psycopg.Connection[Any],
    files: list[SqlFile],
    echo: Echo,
    privileges: Sequence[tuple[str, str]] = (),
    attach: Attach | None = None,
) -> tuple[list[Applied], bool]:
    """Changed repeatables, the attach, the refresh, then the --grant-to/--revoke-from calls: one transaction."""
    applied: list[Applied] = []
    lines: list[str] = []
    with conn.transaction():
        _apply_repeatable_files(conn, files, applied, lines)
        _attach(conn, attach, lines)
        refreshed = _refresh(conn, lines)
        lines.extend(_apply_privilege_calls(conn, privileges))
    for line in lines:  # only once the transaction has committed
        echo(line)
    return applied, refreshed


def _apply_repeatable_files(
    conn: psycopg.Connection[Any], files: list[SqlFile], applied: list[Applied], lines: list[str]
) -> None:
    for file in files:
            text = file.text
            start = time.monotonic()
            try:
                _execute_script(conn, text)
            except psycopg.Error as exc:
                raise MigrationError(
                    f"{_describe(exc, file, text)}; no repeatable file of this run was applied"
                ) from exc
            duration = _ms_since(start)
            conn.execute(_HISTORY_INSERT, (file.name, file.kind, None, file.checksum, duration))
            applied.append(Applied(file.name, file.kind, duration))
            lines.append(f"applied {file.name} ({duration} ms)")


def _install_attached(
    conn: psycopg.Connection[Any],
    project: Project,
    attach: Attach,
    privileges: Sequence[tuple[str, str]],
    result: MigrateResult,
    echo: Echo,
) -> None:
    """A first install with --attach: everything in one transaction, so a refused attach installs nothing.

    The migrations that create assetsync's own tables are recorded without running; a no-transaction
    migration runs after the transaction has committed.
    """
    lines: list[str] = []
    deferred: list[SqlFile] = []
    with conn.transaction():
        conn.execute("select pg_catalog.set_config('assetsync.attach_mode', 'on', true)")
        _execute_script(conn, bootstrap_sql())
        for file in project.migrations:
            if file.name in DEFAULT_TABLE_MIGRATIONS:
                conn.execute(_HISTORY_INSERT, (file.name, file.kind, file.number, file.checksum, None))
                lines.append(f"recorded {file.name} without running it (it creates assetsync's own tables)")
            elif file.no_transaction:
                deferred.append(file)
            else:
                start = time.monotonic()
                try:
                    _execute_script(conn, file.text)
                except psycopg.Error as exc:
                    raise MigrationError(f"{_describe(exc, file, file.text)}; nothing was installed") from exc
                duration = _ms_since(start)
                conn.execute(_HISTORY_INSERT, (file.name, file.kind, file.number, file.checksum, duration))
                result.applied.append(Applied(file.name, file.kind, duration))
                lines.append(f"applied {file.name} ({duration} ms)")
        _apply_repeatable_files(conn, project.repeatables, result.applied, lines)
        _attach(conn, attach, lines)
        result.refreshed = _refresh(conn, lines)
        lines.extend(_apply_privilege_calls(conn, privileges))
    for line in lines:  # only once the transaction has committed
        echo(line)
    for file in deferred:
        duration = _apply_migration(conn, file)
        result.applied.append(Applied(file.name, file.kind, duration))
        echo(f"applied {file.name} ({duration} ms)")


# -- API role privileges (--grant-to / --revoke-from) -----------------------------------------


def privilege_calls(grant_to: Sequence[str] = (), revoke_from: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(function, role) pairs: assetsync.grant_to / assetsync.revoke_from, in the order they run."""
    revokes = [("assetsync.revoke_from", role) for role in revoke_from]
    return revokes + [("assetsync.grant_to", role) for role in grant_to]


def _check_roles(conn: psycopg.Connection[Any], privileges: Sequence[tuple[str, str]]) -> None:
    """Refuse, before anything is applied, a role that does not exist (a revoked one may be only recorded)."""
    recorded: set[str] = set()
    if conn.execute("select to_regclass('assetsync.api_grantees') is not null").fetchone() == (True,):
        recorded = {str(r[0]) for r in conn.execute("select role_name from assetsync.api_grantees")}
    for function, role in privileges:
        row = conn.execute("select exists (select from pg_catalog.pg_roles where rolname = %s)", (role,)).fetchone()
        if row != (True,) and not (function == "assetsync.revoke_from" and role in recorded):
            raise MigrationError(
                f"role {role!r} does not exist (SQLSTATE 42704); create it first or check the name; nothing was applied"
            )


def _apply_privilege_calls(conn: psycopg.Connection[Any], privileges: Sequence[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    for function, role in privileges:
        try:
            conn.execute(sql.SQL("select {}(%s)").format(sql.SQL(function)), (role,))
        except psycopg.Error as exc:
            raise MigrationError(
                f"{function}({role!r}) failed: {one_line(exc.diag.message_primary or str(exc))} "
                f"(SQLSTATE {exc.sqlstate}); no repeatable file of this run was applied"
            ) from exc
        verb = "granted the API privileges to" if function.endswith("grant_to") else "revoked every privilege from"
        lines.append(f"{verb} {role}")
    return lines


def _refuse_foreign_tables(conn: psycopg.Connection[Any]) -> None:
    """Without assetsync's history, tables of assetsync's names are an app's own: change nothing."""
    if history_exists(conn):
        return
    found = [
        str(row[0])
        for row in conn.execute(
            "select t from unnest(%s::text[]) as t where to_regclass(pg_catalog.format('public.%%I', t)) is not null",
            (list(DATA_TABLES),),
        )
    ]
    if found:
        raise MigrationError(
            f"this database already has table(s) {', '.join('public.' + t for t in found)} and no assetsync "
            "installed: they are not assetsync's; to adopt an app's own tables, attach them with "
            "`assetsync migrate --attach LIBRARY COPIES` (see docs/attach.md); nothing was changed"
        )


def migrate(
    dsn: str,
    db_dir: Path,
    *,
    dry_run: bool = False,
    grant_to: Sequence[str] = (),
    revoke_from: Sequence[str] = (),
    attach: Attach | None = None,
    echo: Echo = _ignore,
    on_notice: Echo = _ignore,
) -> MigrateResult:
    """Apply what is pending in db_dir to the database at dsn; raise MigrationError on refusal or failure.

    echo receives one line per file applied; on_notice each server NOTICE/WARNING. grant_to and
    revoke_from name API roles to record or forget (assetsync.grant_to / revoke_from), in the same
    transaction as the repeatables and the refresh. attach: an app's tables to attach (asset_sync_attach());
    on a database without assetsync, the whole install and the attach are one transaction.
    """
    start = time.monotonic()
    project = load_project(db_dir)
    result = MigrateResult(dry_run=dry_run)
    with connect(dsn, on_notice) as conn:
        if dry_run:
            if attach is None:
                _refuse_foreign_tables(conn)
            todo = plan(classify(project, read_history(conn)))
            result.would_apply = [f.name for f in todo.migrations + todo.repeatables]
            for name in result.would_apply:
                echo(f"would apply {name}")
            echo(f"would call {REFRESH_FUNCTION} if it exists")
            result.duration_ms = _ms_since(start)
            return result
        with advisory_lock(conn):
            if attach is None:
                _refuse_foreign_tables(conn)
            privileges = privilege_calls(grant_to, revoke_from)
            _check_roles(conn, privileges)
            if attach is not None and not history_exists(conn):
                _install_attached(conn, project, attach, privileges, result, echo)
                conn.execute("notify pgrst, 'reload schema'")
                result.duration_ms = _ms_since(start)
                return result
            with conn.transaction():
                if not history_exists(conn):
                    _execute_script(conn, bootstrap_sql())
            todo = plan(classify(project, read_history(conn)))
            for file in todo.migrations:
                duration = _apply_migration(conn, file)
                result.applied.append(Applied(file.name, file.kind, duration))
                echo(f"applied {file.name} ({duration} ms)")
            applied, result.refreshed = _apply_repeatables(conn, todo.repeatables, echo, privileges, attach)
            result.applied.extend(applied)
            # PostgREST reloads its schema cache; harmless without listeners.
            if result.applied or privileges or attach is not None:
                conn.execute("notify pgrst, 'reload schema'")
    result.duration_ms = _ms_since(start)
    return result


def status(dsn: str, db_dir: Path) -> Classification:
    """Every file of db_dir against the history of the database at dsn; change nothing."""
    project: Project = load_project(db_dir)
    with connect(dsn) as conn:
        return classify(project, read_history(conn))


def run_script(dsn: str, script: str, on_notice: Echo = _ignore) -> None:
    """Run an SQL script of ours that holds its own begin/commit (the uninstall), under the runner's lock."""
    with connect(dsn, on_notice) as conn, advisory_lock(conn):
        try:
            _execute_script(conn, script)
        except psycopg.Error as exc:
            message = mask(database_error(exc), dsn)
            if "nothing was changed" not in message:
                message += "; nothing was changed"
            raise MigrationError(message) from exc


def ping(dsn: str) -> None:
    """Raise MigrationError with one readable line when the database cannot be reached."""
    with connect(dsn) as conn:
        conn.execute("select 1")


__all__ = [
    "LOCK_KEY",
    "Applied",
    "Attach",
    "MigrateResult",
    "MigrationError",
    "advisory_lock",
    "bootstrap_sql",
    "connect",
    "migrate",
    "ping",
    "run_script",
    "status",
]
