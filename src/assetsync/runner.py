"""The migration runner: finds the SQL files, checksums them, keeps the history, applies.

Lifecycle of the files under a db directory:
    migrations/NNN_what.sql   applied once each, in the order of their leading number
    functions/*.sql           re-applied (sorted by name) whenever their checksum changes
    triggers/*.sql            likewise, after the functions

Every run holds a PostgreSQL session advisory lock (LOCK_KEY) for its whole length, so
concurrent runners apply everything exactly once: the second waits, then finds nothing
to do. Each migration runs in its own transaction, except one whose first line is
`-- assetsync: no-transaction`, which runs statement by statement in autocommit. The
changed repeatable files and the call to public.asset_sync_refresh() run together in
one transaction, so a deploy of repeatables is atomic.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import psycopg

from assetsync.sqlsplit import split_statements

# int.from_bytes(b"assetsyn", "big"): the key of pg_advisory_lock(bigint) held by every run.
LOCK_KEY = 7022083123583351150
NO_TRANSACTION_MARK = "-- assetsync: no-transaction"
REFRESH_FUNCTION = "public.asset_sync_refresh()"

Kind = Literal["migration", "function", "trigger"]
REPEATABLE_DIRS: tuple[tuple[str, Kind], ...] = (("functions", "function"), ("triggers", "trigger"))
_MIGRATION_NAME = re.compile(r"^(\d+)_[^/]*\.sql$")

BOOTSTRAP_SQL = """\
create schema if not exists assetsync;

comment on schema assetsync is
    'Internals of assetsync: the migration history and the helpers the public API is built on.';

create table if not exists assetsync.migration_history (
    id bigint generated always as identity primary key,
    file text not null,
    kind text not null,
    migration_number numeric,
    checksum text not null,
    applied_at timestamptz not null default now(),
    duration_ms integer,
    constraint migration_history_kind_is_known
        check (kind in ('migration', 'function', 'trigger')),
    constraint migration_history_number_only_for_migrations
        check ((kind = 'migration') = (migration_number is not null)),
    constraint migration_history_number_is_whole
        check (migration_number >= 0 and migration_number = trunc(migration_number)),
    constraint migration_history_checksum_is_sha256
        check (checksum ~ '^[0-9a-f]{64}$'),
    constraint migration_history_duration_not_negative
        check (duration_ms >= 0)
);

create unique index if not exists migration_history_migration_file_once
    on assetsync.migration_history (file)
    where kind = 'migration';

create unique index if not exists migration_history_migration_number_once
    on assetsync.migration_history (migration_number)
    where kind = 'migration';

alter table assetsync.migration_history enable row level security;

-- An explicit "nobody" policy rather than none: the owner (the migrating role) bypasses it, everybody else
-- reads and writes no row, and linters see a deliberate choice instead of a forgotten policy.
do $bootstrap$
begin
    if not exists (
        select from pg_catalog.pg_policy where polrelid = 'assetsync.migration_history'::regclass
    ) then
        create policy migration_history_owner_only on assetsync.migration_history
            for all using (false) with check (false);
    end if;
end
$bootstrap$;

comment on policy migration_history_owner_only on assetsync.migration_history is
    'No row for anyone but the table owner (the migrating role), who bypasses row level security.';

comment on table assetsync.migration_history is
    'What `assetsync migrate` applied: one row per migration (applied once) and one row per application '
    'of a repeatable file of db/functions or db/triggers. Written only by the runner (or a bundle script) '
    'under the advisory lock 7022083123583351150; row level security is on with a policy that admits no '
    'row, so only its owner (the migrating role) can read or write it.';
comment on column assetsync.migration_history.id is 'Surrogate key, in order of application.';
comment on column assetsync.migration_history.file is
    'Path of the SQL file relative to the db directory, e.g. migrations/001_tables.sql.';
comment on column assetsync.migration_history.kind is
    'migration (db/migrations, applied once), function (db/functions) or trigger (db/triggers); '
    'the last two are re-applied when their checksum changes.';
comment on column assetsync.migration_history.migration_number is
    'The number that starts a migration file name, compared as a number; null for repeatable files.';
comment on column assetsync.migration_history.checksum is
    'sha256 (hex) of the file bytes as applied; a changed applied migration makes the runner refuse.';
comment on column assetsync.migration_history.applied_at is 'When the file was applied.';
comment on column assetsync.migration_history.duration_ms is
    'How long applying the file took, in milliseconds; null when recorded by a bundle script.';
"""

_HISTORY_INSERT = (
    "insert into assetsync.migration_history (file, kind, migration_number, checksum, duration_ms) "
    "values (%s, %s, %s, %s, %s)"
)


class MigrationError(Exception):
    """The run refused or failed; the message is one readable line naming the file."""


# -- files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlFile:
    """One SQL file of the db directory."""

    path: Path
    name: str  # relative to the db directory, with forward slashes
    kind: Kind
    checksum: str
    number: int | None = None

    @property
    def text(self) -> str:
        return self.path.read_bytes().decode("utf-8")

    @property
    def no_transaction(self) -> bool:
        first = self.text.split("\n", 1)[0].strip()
        return first.lower() == NO_TRANSACTION_MARK


@dataclass(frozen=True)
class Project:
    """The SQL files of a db directory, in the order they are applied."""

    migrations: list[SqlFile]
    repeatables: list[SqlFile]


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_db_dir() -> Path:
    """./db where it exists, else the copy shipped in the package (or the source tree's, when editable)."""
    local = Path("db")
    if local.is_dir():
        return local
    shipped = Path(str(resources.files("assetsync") / "db"))
    if shipped.is_dir():
        return shipped
    source_tree = Path(__file__).resolve().parents[2] / "db"
    if source_tree.is_dir():
        return source_tree
    return shipped


def load_project(db_dir: Path) -> Project:
    """Read the db directory; refuse unnumbered or duplicate-numbered migration files."""
    if not db_dir.is_dir():
        raise MigrationError(f"db directory not found: {db_dir}")
    migrations: list[SqlFile] = []
    seen: dict[int, str] = {}
    mig_dir = db_dir / "migrations"
    for path in sorted(mig_dir.glob("*.sql")) if mig_dir.is_dir() else []:
        match = _MIGRATION_NAME.match(path.name)
        name = f"migrations/{path.name}"
        if match is None:
            raise MigrationError(f"{name}: a migration file name must start with a number (NNN_what.sql)")
        number = int(match.group(1))
        if number in seen:
            raise MigrationError(f"{name}: migration number {number} is also used by {seen[number]}")
        seen[number] = name
        migrations.append(SqlFile(path, name, "migration", _checksum(path), number))
    migrations.sort(key=lambda f: cast(int, f.number))
    repeatables: list[SqlFile] = []
    for sub, kind in REPEATABLE_DIRS:
        folder = db_dir / sub
        for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
            repeatables.append(SqlFile(path, f"{sub}/{path.name}", kind, _checksum(path)))
    return Project(migrations, repeatables)


# -- history ----------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What the database says was applied."""

    migrations: dict[str, tuple[str, int]]  # file -> (checksum, number)
    repeatables: dict[str, tuple[str, Kind]]  # file -> (last checksum, kind)

    @property
    def last_number(self) -> int | None:
        return max((number for _, number in self.migrations.values()), default=None)


def read_history(conn: psycopg.Connection[Any]) -> History:
    exists = conn.execute("select to_regclass('assetsync.migration_history') is not null").fetchone()
    if not exists or not exists[0]:
        return History({}, {})
    migrations = {
        str(file): (str(checksum), int(number))
        for file, checksum, number in conn.execute(
            "select file, checksum, migration_number from assetsync.migration_history where kind = 'migration'"
        )
    }
    repeatables = {
        str(file): (str(checksum), cast(Kind, kind))
        for file, checksum, kind in conn.execute(
            "select distinct on (file) file, checksum, kind from assetsync.migration_history "
            "where kind <> 'migration' order by file, id desc"
        )
    }
    return History(migrations, repeatables)


@dataclass(frozen=True)
class Plan:
    """What a migrate would do, after the refusals have been checked."""

    migrations: list[SqlFile]
    repeatables: list[SqlFile]


def check_and_plan(project: Project, history: History) -> Plan:
    """Refuse a changed or missing applied migration, or a new one numbered too low; plan the rest."""
    on_disk = {f.name: f for f in project.migrations}
    for name, (checksum, _number) in sorted(history.migrations.items(), key=lambda item: item[1][1]):
        file = on_disk.get(name)
        if file is None:
            raise MigrationError(f"{name}: applied migration is missing from the db directory; refusing to run")
        if file.checksum != checksum:
            raise MigrationError(
                f"{name}: applied migration has changed since it was applied (checksum {checksum[:12]}… "
                f"in the database, {file.checksum[:12]}… on disk); add a new migration instead; refusing to run"
            )
    pending = [f for f in project.migrations if f.name not in history.migrations]
    last = history.last_number
    for file in pending:
        if last is not None and cast(int, file.number) < last:
            raise MigrationError(
                f"{file.name}: new migration is numbered {file.number}, below the last applied "
                f"migration {last}; renumber it above {last}; refusing to run"
            )
    changed = [f for f in project.repeatables if history.repeatables.get(f.name, ("", ""))[0] != f.checksum]
    return Plan(pending, changed)


# -- errors -----------------------------------------------------------------------------


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
    notices: list[str] = field(default_factory=list)
    duration_ms: int = 0

    @property
    def files(self) -> list[str]:
        return [a.file for a in self.applied]


Echo = Callable[[str], None]


def _ignore(_line: str) -> None:
    return None


def _ms_since(start: float) -> int:
    return round((time.monotonic() - start) * 1000)


@contextmanager
def _connect(dsn: str, notices: list[str], on_notice: Echo) -> Iterator[psycopg.Connection[Any]]:
    try:
        conn = psycopg.connect(dsn, autocommit=True, application_name="assetsync")
    except psycopg.Error as exc:
        raise MigrationError(f"cannot connect to the database: {_one_line(str(exc))}") from exc

    def handler(diag: psycopg.errors.Diagnostic) -> None:
        line = f"{diag.severity or 'NOTICE'}: {diag.message_primary or ''}".strip()
        notices.append(line)
        on_notice(line)

    conn.add_notice_handler(handler)
    # If this process dies while a statement runs (killed runner), the server notices within seconds
    # and ends the session, releasing the advisory lock for the next run (PostgreSQL 14+).
    with suppress(psycopg.Error):
        conn.execute("set client_connection_check_interval = '5s'")
    try:
        yield conn
    except psycopg.OperationalError as exc:
        raise MigrationError(
            f"lost the connection to the database ({_one_line(str(exc))}); every file reported as applied "
            "before this stays applied, nothing else was recorded"
        ) from exc
    except psycopg.Error as exc:
        raise MigrationError(f"database error: {_one_line(str(exc))} (SQLSTATE {exc.sqlstate})") from exc
    finally:
        conn.close()


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _execute_script(conn: psycopg.Connection[Any], text: str) -> None:
    """Run a whole script (simple query protocol: several statements, no parameters)."""
    conn.execute(cast(Any, text), prepare=False)


def _apply_migration(conn: psycopg.Connection[Any], file: SqlFile) -> int:
    text = file.text
    start = time.monotonic()
    if file.no_transaction:
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


def _apply_repeatables(
    conn: psycopg.Connection[Any], files: list[SqlFile], echo: Echo, privileges: Sequence[tuple[str, str]] = ()
) -> tuple[list[Applied], bool]:
    """Changed repeatables, the refresh, then the --grant-to/--revoke-from calls, in one transaction."""
    applied: list[Applied] = []
    lines: list[str] = []
    with conn.transaction():
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
        refreshed = _refresh_exists(conn)
        if refreshed:
            start = time.monotonic()
            try:
                conn.execute("select public.asset_sync_refresh()")
            except psycopg.Error as exc:
                raise MigrationError(
                    f"{REFRESH_FUNCTION} failed: {_one_line(exc.diag.message_primary or str(exc))}"
                    f"; no repeatable file of this run was applied"
                ) from exc
            lines.append(f"called {REFRESH_FUNCTION} ({_ms_since(start)} ms)")
        lines.extend(_apply_privilege_calls(conn, privileges))
    for line in lines:  # only once the transaction has committed
        echo(line)
    return applied, refreshed


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
            conn.execute(f"select {function}(%s)", (role,))
        except psycopg.Error as exc:
            raise MigrationError(
                f"{function}({role!r}) failed: {_one_line(exc.diag.message_primary or str(exc))} "
                f"(SQLSTATE {exc.sqlstate}); no repeatable file of this run was applied"
            ) from exc
        verb = "granted the API privileges to" if function.endswith("grant_to") else "revoked every privilege from"
        lines.append(f"{verb} {role}")
    return lines


def migrate(
    dsn: str,
    db_dir: Path,
    *,
    dry_run: bool = False,
    grant_to: Sequence[str] = (),
    revoke_from: Sequence[str] = (),
    echo: Echo = _ignore,
    on_notice: Echo = _ignore,
) -> MigrateResult:
    """Apply what is pending in db_dir to the database at dsn; raise MigrationError on refusal or failure.

    echo receives one line per file applied; on_notice each server NOTICE/WARNING. grant_to and
    revoke_from name API roles to record or forget (assetsync.grant_to / revoke_from), in the same
    transaction as the repeatables and the refresh.
    """
    start = time.monotonic()
    project = load_project(db_dir)
    result = MigrateResult(dry_run=dry_run)
    with _connect(dsn, result.notices, on_notice) as conn:
        if dry_run:
            plan = check_and_plan(project, read_history(conn))
            result.would_apply = [f.name for f in plan.migrations + plan.repeatables]
            for name in result.would_apply:
                echo(f"would apply {name}")
            echo(f"would call {REFRESH_FUNCTION} if it exists")
            result.duration_ms = _ms_since(start)
            return result
        conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            privileges = privilege_calls(grant_to, revoke_from)
            _check_roles(conn, privileges)
            with conn.transaction():
                exists = conn.execute("select to_regclass('assetsync.migration_history') is not null").fetchone()
                if not exists or not exists[0]:
                    _execute_script(conn, BOOTSTRAP_SQL)
            plan = check_and_plan(project, read_history(conn))
            for file in plan.migrations:
                duration = _apply_migration(conn, file)
                result.applied.append(Applied(file.name, file.kind, duration))
                echo(f"applied {file.name} ({duration} ms)")
            applied, result.refreshed = _apply_repeatables(conn, plan.repeatables, echo, privileges)
            result.applied.extend(applied)
        finally:
            if not conn.closed and not conn.broken:
                with suppress(psycopg.Error):  # closing the connection releases it anyway
                    conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    result.duration_ms = _ms_since(start)
    return result


# -- status -----------------------------------------------------------------------------

State = Literal["applied", "pending", "changed", "missing"]


@dataclass(frozen=True)
class StatusEntry:
    state: State
    file: str
    kind: Kind
    note: str = ""


@dataclass
class StatusResult:
    entries: list[StatusEntry]

    def count(self, state: State) -> int:
        return sum(1 for e in self.entries if e.state == state)

    @property
    def ok(self) -> bool:
        """Everything applied and unchanged (a missing repeatable file is only reported)."""
        return all(e.state == "applied" or (e.state == "missing" and e.kind != "migration") for e in self.entries)


def status(dsn: str, db_dir: Path) -> StatusResult:
    """Compare db_dir with the history of the database at dsn; change nothing."""
    project = load_project(db_dir)
    notices: list[str] = []
    with _connect(dsn, notices, _ignore) as conn:
        history = read_history(conn)
    entries: list[StatusEntry] = []
    last = history.last_number
    for file in project.migrations:
        applied = history.migrations.get(file.name)
        if applied is None:
            note = ""
            if last is not None and cast(int, file.number) < last:
                note = f"numbered below the last applied migration {last}: migrate will refuse it"
            entries.append(StatusEntry("pending", file.name, file.kind, note))
        elif applied[0] != file.checksum:
            entries.append(StatusEntry("changed", file.name, file.kind, "changed after it was applied"))
        else:
            entries.append(StatusEntry("applied", file.name, file.kind))
    on_disk = {f.name for f in project.migrations}
    for name in sorted(set(history.migrations) - on_disk, key=lambda n: history.migrations[n][1]):
        entries.append(StatusEntry("missing", name, "migration", "applied but no longer in the db directory"))
    for file in project.repeatables:
        last_applied = history.repeatables.get(file.name)
        if last_applied is None:
            entries.append(StatusEntry("pending", file.name, file.kind))
        elif last_applied[0] != file.checksum:
            entries.append(StatusEntry("changed", file.name, file.kind, "will be re-applied"))
        else:
            entries.append(StatusEntry("applied", file.name, file.kind))
    rep_on_disk = {f.name for f in project.repeatables}
    for name in sorted(set(history.repeatables) - rep_on_disk):
        entries.append(
            StatusEntry("missing", name, history.repeatables[name][1], "file removed; its object stays until dropped")
        )
    return StatusResult(entries)


# -- bundle -----------------------------------------------------------------------------


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _history_insert_sql(file: SqlFile) -> str:
    values = ", ".join(_literal(v) for v in (file.name, file.kind, file.number, file.checksum))
    return (
        "insert into assetsync.migration_history (file, kind, migration_number, checksum, duration_ms)\n"
        f"values ({values}, null);\n"
    )


def _terminated(text: str) -> str:
    """The script text, ending with a semicolon on its own line so what follows starts afresh."""
    return text.rstrip("\n") + "\n;\n"


def _bundle_role_checks(privileges: Sequence[tuple[str, str]]) -> str:
    """SQL that stops the script, before it changes anything, when a role of --grant-to/--revoke-from is missing
    (a role to revoke from may be one that is only recorded)."""
    checks = []
    for function, role in privileges:
        recorded = (
            "        if to_regclass('assetsync.api_grantees') is not null then\n"
            "            execute 'select exists (select from assetsync.api_grantees where role_name = $1)'\n"
            f"                into v_recorded using {_literal(role)};\n"
            "        end if;\n"
            if function.endswith("revoke_from")
            else ""
        )
        checks.append(
            "    v_recorded := false;\n"
            f"    if to_regrole({_literal(_quote_ident(role))}) is null then\n{recorded}"
            "        if not v_recorded then\n"
            f"            raise exception using errcode = '42704',\n"
            f"                message = {_literal(f'role {role} does not exist')},\n"
            "                hint = 'Create it first or check the name; nothing was applied.';\n"
            "        end if;\n"
            "    end if;\n"
        )
    if not checks:
        return ""
    return (
        "\ndo $assetsync_roles$\ndeclare\n    v_recorded boolean;\nbegin\n"
        + "".join(checks)
        + "end\n$assetsync_roles$;\n"
    )


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bundle(db_dir: Path, grant_to: Sequence[str] = (), revoke_from: Sequence[str] = ()) -> str:
    """One SQL script that builds the database of db_dir from empty and records the same history.

    grant_to / revoke_from: API roles the script records or forgets (assetsync.grant_to / revoke_from)
    after the refresh, in the same transaction; a missing role stops it before it changes anything.

    Apply it with `psql -v ON_ERROR_STOP=1 -f bundle.sql` or paste it into an SQL editor; it uses
    no psql meta-command. A later `assetsync migrate` on that database applies nothing.
    """
    project = load_project(db_dir)
    parts = [
        "-- Generated by `assetsync bundle`: the whole assetsync schema in one script.\n"
        "-- Apply to an empty database: psql -v ON_ERROR_STOP=1 -f this.sql (or paste into an SQL editor).\n"
        "-- It records the same history as `assetsync migrate`, which then finds nothing to apply.\n",
        _bundle_role_checks(privilege_calls(grant_to, revoke_from)),
        "begin;\n" + BOOTSTRAP_SQL + "commit;\n",
    ]
    for file in project.migrations:
        body = _terminated(file.text) + _history_insert_sql(file)
        header = f"\n-- {file.name}\n"
        if file.no_transaction:
            parts.append(header + body)
        else:
            parts.append(header + "begin;\n" + body + "commit;\n")
    repeatables = "".join(
        f"\n-- {f.name}\n" + _terminated(f.text) + _history_insert_sql(f) for f in project.repeatables
    )
    refresh = (
        "\n-- bring tracking and sync up to date with the tables' columns\n"
        "do $assetsync_refresh$\n"
        "begin\n"
        f"    if to_regprocedure('{REFRESH_FUNCTION}') is not null then\n"
        "        perform public.asset_sync_refresh();\n"
        "    end if;\n"
        "end\n"
        "$assetsync_refresh$;\n"
    )
    grants = "".join(
        f"select {function}({_literal(role)});\n" for function, role in privilege_calls(grant_to, revoke_from)
    )
    parts.append("\nbegin;\n" + repeatables + refresh + grants + "commit;\n")
    return "".join(parts)


def ping(dsn: str) -> None:
    """Raise MigrationError with one readable line when the database cannot be reached."""
    notices: list[str] = []
    with _connect(dsn, notices, _ignore) as conn:
        conn.execute("select 1")


__all__ = [
    "LOCK_KEY",
    "Applied",
    "MigrateResult",
    "MigrationError",
    "StatusEntry",
    "StatusResult",
    "bundle",
    "default_db_dir",
    "load_project",
    "migrate",
    "ping",
    "status",
]
