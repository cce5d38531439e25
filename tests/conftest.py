"""Fixtures: one PostgreSQL server per session, a migrated template, a fresh database per test.

Which server, and how databases are made on it, is tests/pg.py; shared SQL helpers are tests/support.py and
the John Doe story is tests/story.py. No test module imports this file: fixtures reach them by name.
Tests fail (never skip) when no server can be had.

Fixtures: pg_server (session), template_db (session), db_url, conn, empty_db_url (function); shared_url and
db (module).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from assetsync import runner
from pg import REPO_DB_DIR, PgServer, admin_exec, choose_server, create_database, drop_database, throwaway_database
from support import emptied_after

_SERVER: PgServer | None = None
_SERVER_ERROR: str | None = None


def _server() -> PgServer:
    global _SERVER, _SERVER_ERROR
    if _SERVER is None and _SERVER_ERROR is None:
        try:
            _SERVER = choose_server()
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
    admin_exec(pg_server, sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
    yield name
    admin_exec(pg_server, sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
    drop_database(pg_server, name)


@pytest.fixture
def db_url(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """URL of a fresh database cloned from the migrated template, dropped after the test."""
    with throwaway_database(pg_server, template_db) as url:
        yield url


@pytest.fixture(scope="module")
def shared_url(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """URL of one migrated database shared by the tests of a module (a fresh one costs ~0.4 s per test):
    for tests that change rows only, each making its own."""
    with throwaway_database(pg_server, template_db) as url:
        yield url


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
    with throwaway_database(pg_server) as url:
        yield url
