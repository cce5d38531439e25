"""The migration runner, end to end on throwaway databases with db directories built per test."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import psycopg
import pytest

from assetsync import bundle, runner
from assetsync.files import load_project
from assetsync.sqlsplit import split_statements
from pg import REPO_DB_DIR, REPO_ROOT, PgServer, free_port

REFRESH_SQL = """\
create or replace function public.asset_sync_refresh() returns void
    language plpgsql
as $$
begin
    insert into public.refresh_log default values;
    raise notice 'refreshed';
end
$$;
"""


def make_db_dir(root: Path, files: dict[str, str]) -> Path:
    db_dir = root / "db"
    for sub in ("migrations", "functions", "triggers"):
        (db_dir / sub).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (db_dir / name).write_text(text)
    return db_dir


def query(url: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(statement).fetchall()  # type: ignore[arg-type]


def history(url: str) -> list[tuple[str, str]]:
    return [
        (str(file), str(kind))
        for file, kind in query(url, "select file, kind from assetsync.migration_history order by id")
    ]


def table_exists(url: str, name: str) -> bool:
    return bool(query(url, f"select to_regclass('{name}') is not null")[0][0])


def wait_for_lock_pollers(holder: psycopg.Connection[Any], count: int) -> None:
    """Return once `count` runners are seen trying the runner's lock (they poll pg_try_advisory_lock)."""
    deadline = time.monotonic() + 30
    seen = 0
    while seen < count and time.monotonic() < deadline:
        row = holder.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and application_name = 'assetsync' and query like '%%pg_try_advisory_lock%%'"
        ).fetchone()
        seen = int(row[0]) if row else 0
    assert seen == count, f"{count} runners should be waiting for the advisory lock, saw {seen}"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assetsync", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


# -- the splitter ------------------------------------------------------------------------


def test_splitter_ignores_semicolons_in_quotes_dollar_quotes_and_comments() -> None:
    text = (
        "create table a (t text default 'x;y''z');\n"
        "-- a comment; with a semicolon\n"
        'create table "b;c" (i int); /* block; /* nested; */ still; */\n'
        "do $body$ begin perform 1; end $body$;\n"
        "select e'\\';', $$;$$\n"
    )
    statements = [s.text.strip() for s in split_statements(text)]
    assert statements == [
        "create table a (t text default 'x;y''z')",
        '-- a comment; with a semicolon\ncreate table "b;c" (i int)',
        "/* block; /* nested; */ still; */\ndo $body$ begin perform 1; end $body$",
        "select e'\\';', $$;$$",
    ]


def test_splitter_offsets_point_into_the_script() -> None:
    text = "select 1;\n\nselect 2;\n-- only a comment;\n"
    statements = split_statements(text)
    assert [text[s.offset : s.offset + len(s.text)] for s in statements] == [s.text for s in statements]
    assert len(statements) == 2


# -- applying migrations -----------------------------------------------------------------


def test_second_migrate_applies_nothing(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_a.sql": "create table public.a (id int);",
            "functions/f.sql": "create or replace function public.f() returns int language sql as 'select 1';",
        },
    )
    first = runner.migrate(empty_db_url, db_dir)
    assert first.files == ["migrations/001_a.sql", "functions/f.sql"]
    second = runner.migrate(empty_db_url, db_dir)
    assert second.applied == []
    assert history(empty_db_url) == [("migrations/001_a.sql", "migration"), ("functions/f.sql", "function")]


def test_migrations_run_in_numeric_order_of_any_length(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/1_create.sql": "create table public.log (n int, at serial);",
            "migrations/10_ten.sql": "insert into public.log (n) values (10);",
            "migrations/2_two.sql": "insert into public.log (n) values (2);",
            "migrations/0003_three.sql": "insert into public.log (n) values (3);",
        },
    )
    result = runner.migrate(empty_db_url, db_dir)
    assert result.files == [
        "migrations/1_create.sql",
        "migrations/2_two.sql",
        "migrations/0003_three.sql",
        "migrations/10_ten.sql",
    ]
    assert [row[0] for row in query(empty_db_url, "select n from public.log order by at")] == [2, 3, 10]
    numbers = query(empty_db_url, "select migration_number from assetsync.migration_history order by id")
    assert [int(row[0]) for row in numbers] == [1, 2, 3, 10]


def test_refuses_when_an_applied_migration_changed(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {"migrations/001_a.sql": "create table public.a (id int);"})
    runner.migrate(empty_db_url, db_dir)
    (db_dir / "migrations/001_a.sql").write_text("create table public.a (id bigint);")
    (db_dir / "migrations/002_b.sql").write_text("create table public.b (id int);")
    with pytest.raises(runner.MigrationError, match=r"migrations/001_a\.sql: applied migration has changed"):
        runner.migrate(empty_db_url, db_dir)
    assert not table_exists(empty_db_url, "public.b")


def test_refuses_when_an_applied_migration_is_missing(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {"migrations/001_a.sql": "create table public.a (id int);", "migrations/002_b.sql": "select 1;"},
    )
    runner.migrate(empty_db_url, db_dir)
    (db_dir / "migrations/001_a.sql").unlink()
    with pytest.raises(runner.MigrationError, match=r"migrations/001_a\.sql: applied migration is missing"):
        runner.migrate(empty_db_url, db_dir)


def test_refuses_a_new_migration_numbered_below_the_last_applied(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {"migrations/010_a.sql": "select 1;"})
    runner.migrate(empty_db_url, db_dir)
    (db_dir / "migrations/009_late.sql").write_text("create table public.late (id int);")
    with pytest.raises(runner.MigrationError, match=r"migrations/009_late\.sql: .*below the last applied"):
        runner.migrate(empty_db_url, db_dir)
    assert not table_exists(empty_db_url, "public.late")


def test_refuses_two_files_with_the_same_number(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {"migrations/001_a.sql": "select 1;", "migrations/01_b.sql": "select 1;"})
    with pytest.raises(runner.MigrationError, match=r"migration number 1 is also used by"):
        runner.migrate(empty_db_url, db_dir)


def test_failing_migration_rolls_back_alone_and_stops_the_run(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_ok.sql": "create table public.kept (id int);",
            "migrations/002_bad.sql": "create table public.half (id int);\n\nselect 1 + from public.half;\n",
            "migrations/003_later.sql": "create table public.later (id int);",
        },
    )
    with pytest.raises(runner.MigrationError) as info:
        runner.migrate(empty_db_url, db_dir)
    message = str(info.value)
    assert message.startswith("migrations/002_bad.sql:3:12: syntax error at or near")
    assert "rolled back" in message
    assert table_exists(empty_db_url, "public.kept")
    assert not table_exists(empty_db_url, "public.half")
    assert not table_exists(empty_db_url, "public.later")
    assert history(empty_db_url) == [("migrations/001_ok.sql", "migration")]


def test_no_transaction_migration_can_create_an_index_concurrently(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_table.sql": "create table public.big (id int, t text);",
            "migrations/002_index.sql": (
                "-- assetsync: no-transaction\n"
                "create index concurrently if not exists big_id on public.big (id);\n"
                "create index concurrently if not exists big_t on public.big (t);\n"
            ),
        },
    )
    runner.migrate(empty_db_url, db_dir)
    indexes = query(empty_db_url, "select indexname from pg_indexes where tablename = 'big' order by 1")
    assert indexes == [("big_id",), ("big_t",)]
    assert ("migrations/002_index.sql", "migration") in history(empty_db_url)


def test_failing_no_transaction_migration_keeps_earlier_statements(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_nt.sql": (
                "-- assetsync: no-transaction\n"
                "create table public.one (id int);\n"
                "do $$ begin perform 1; end $$;\n"
                "select 1/0;\n"
                "create table public.never (id int);\n"
            ),
        },
    )
    with pytest.raises(runner.MigrationError) as info:
        runner.migrate(empty_db_url, db_dir)
    message = str(info.value)
    assert message.startswith("migrations/001_nt.sql: division by zero")
    assert "statement 3 of 4 failed" in message
    assert "the 2 statement(s) before it stayed applied" in message
    assert table_exists(empty_db_url, "public.one")
    assert not table_exists(empty_db_url, "public.never")
    assert history(empty_db_url) == []


def test_error_position_in_a_no_transaction_migration(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {"migrations/001_nt.sql": "-- assetsync: no-transaction\nselect 1;\nselect\n    nope_column;\n"},
    )
    with pytest.raises(runner.MigrationError, match=r"^migrations/001_nt\.sql:4:5: column \"nope_column\""):
        runner.migrate(empty_db_url, db_dir)


# -- repeatable files and the refresh ----------------------------------------------------


def test_repeatables_are_reapplied_only_when_changed(tmp_path: Path, empty_db_url: str) -> None:
    fn = "create or replace function public.{name}() returns int language sql as 'select {value}';"
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_t.sql": "create table public.t (id int);",
            "functions/a.sql": fn.format(name="a", value=1),
            "functions/b.sql": fn.format(name="b", value=1),
            "triggers/t__noop.sql": (
                "create or replace trigger t__noop before insert on public.t "
                "for each row execute function suppress_redundant_updates_trigger();"
            ),
        },
    )
    first = runner.migrate(empty_db_url, db_dir)
    assert first.files == ["migrations/001_t.sql", "functions/a.sql", "functions/b.sql", "triggers/t__noop.sql"]
    assert runner.migrate(empty_db_url, db_dir).applied == []
    (db_dir / "functions/b.sql").write_text(fn.format(name="b", value=2))
    assert runner.migrate(empty_db_url, db_dir).files == ["functions/b.sql"]
    assert query(empty_db_url, "select public.b()") == [(2,)]


def test_repeatables_and_refresh_are_one_transaction(tmp_path: Path, empty_db_url: str) -> None:
    fn = "create or replace function public.{name}() returns int language sql as 'select {value}';"
    db_dir = make_db_dir(
        tmp_path,
        {"functions/a.sql": fn.format(name="a", value=1), "functions/b.sql": fn.format(name="b", value=1)},
    )
    runner.migrate(empty_db_url, db_dir)
    (db_dir / "functions/a.sql").write_text(fn.format(name="a", value=2))
    (db_dir / "functions/b.sql").write_text("create or replace function public.b() returns int language sql as 'x';")
    with pytest.raises(runner.MigrationError, match=r"^functions/b\.sql:1:68: .*no repeatable file of this run"):
        runner.migrate(empty_db_url, db_dir)
    assert query(empty_db_url, "select public.a()") == [(1,)]
    assert runner.status(empty_db_url, db_dir).count("changed") == 2


def test_refresh_is_called_on_every_migrate_and_its_notices_reported(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_log.sql": "create table public.refresh_log (id serial);",
            "functions/asset_sync_refresh.sql": REFRESH_SQL,
        },
    )
    seen: list[str] = []
    first = runner.migrate(empty_db_url, db_dir, on_notice=seen.append)
    second = runner.migrate(empty_db_url, db_dir)
    assert first.refreshed and second.refreshed
    assert second.applied == []
    assert query(empty_db_url, "select count(*) from public.refresh_log") == [(2,)]
    assert seen == ["NOTICE: refreshed"]


# -- dry run and status --------------------------------------------------------------------


def test_dry_run_lists_and_changes_nothing(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {"migrations/001_a.sql": "create table public.a (id int);", "triggers/x.sql": "select 1;"},
    )
    result = runner.migrate(empty_db_url, db_dir, dry_run=True)
    assert result.would_apply == ["migrations/001_a.sql", "triggers/x.sql"]
    assert result.applied == []
    assert not table_exists(empty_db_url, "public.a")
    assert not table_exists(empty_db_url, "assetsync.migration_history")


def test_status_exit_codes(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {"migrations/001_a.sql": "select 1;", "functions/f.sql": "select 1;"},
    )
    pending = run_cli("status", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    assert pending.returncode == 1, pending.stderr
    assert "pending  migrations/001_a.sql" in pending.stdout
    assert run_cli("migrate", "--dsn", empty_db_url, "--db-dir", str(db_dir)).returncode == 0
    clean = run_cli("status", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    assert clean.returncode == 0, clean.stdout
    assert "2 applied, 0 pending, 0 changed, 0 missing" in clean.stdout
    (db_dir / "functions/f.sql").write_text("select 2;")
    changed = run_cli("status", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    assert changed.returncode == 1
    assert "changed  functions/f.sql" in changed.stdout
    (db_dir / "migrations/001_a.sql").unlink()
    missing = runner.status(empty_db_url, db_dir)
    assert [(e.state, e.file) for e in missing.entries if e.kind == "migration"] == [
        ("missing", "migrations/001_a.sql")
    ]
    assert not missing.ok


# -- concurrency -----------------------------------------------------------------------------


def test_concurrent_runners_apply_each_file_exactly_once(tmp_path: Path, empty_db_url: str) -> None:
    files = {f"migrations/{n:03}_m.sql": f"create table public.m{n} (id int);" for n in range(1, 6)}
    files["functions/f.sql"] = "create or replace function public.f() returns int language sql as 'select 1';"
    db_dir = make_db_dir(tmp_path, files)
    results: list[runner.MigrateResult] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            results.append(runner.migrate(empty_db_url, db_dir))
        except BaseException as exc:
            failures.append(exc)

    # Hold the runner's lock ourselves, start two runners, and release the lock only once
    # both are seen trying to take it: they then race for real.
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (runner.LOCK_KEY,))
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        wait_for_lock_pollers(holder, 2)
        holder.execute("select pg_advisory_unlock(%s)", (runner.LOCK_KEY,))
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    applied = sorted(f for result in results for f in result.files)
    assert applied == sorted(files)
    assert sorted(f for f, _ in history(empty_db_url)) == sorted(files)


def test_concurrent_runs_complete_a_create_index_concurrently(tmp_path: Path, empty_db_url: str) -> None:
    # The run waiting for the lock must hold no snapshot, or the other run's CREATE INDEX CONCURRENTLY waits
    # for it while it waits for the lock: a deadlock (40P01) that used to leave the index invalid.
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_table.sql": "create table public.big as select g as id from generate_series(1, 1000) g;",
            "migrations/002_index.sql": (
                "-- assetsync: no-transaction\n"
                "create index concurrently if not exists big_id on public.big (id);\n"
            ),
        },
    )
    command = [sys.executable, "-m", "assetsync", "migrate", "--dsn", empty_db_url, "--db-dir", str(db_dir)]
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (runner.LOCK_KEY,))
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
        try:
            wait_for_lock_pollers(holder, 2)
            holder.execute("select pg_advisory_unlock(%s)", (runner.LOCK_KEY,))
            outputs = [run.communicate(timeout=60) for run in runs]
        finally:
            for run in runs:
                if run.poll() is None:
                    run.kill()
                    run.communicate()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert query(empty_db_url, "select indisvalid from pg_index where indexrelid = 'public.big_id'::regclass") == [
        (True,)
    ]
    assert [file for file, _ in history(empty_db_url)] == ["migrations/001_table.sql", "migrations/002_index.sql"]


def test_a_no_transaction_migration_that_leaves_an_invalid_index_is_not_recorded(
    tmp_path: Path, empty_db_url: str
) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_table.sql": "create table public.dup (x int); insert into public.dup values (1), (1);",
            "migrations/002_unique.sql": (
                "-- assetsync: no-transaction\n"
                "create unique index concurrently if not exists dup_x on public.dup (x);\n"
            ),
        },
    )
    with pytest.raises(runner.MigrationError, match=r"migrations/002_unique\.sql: .*SQLSTATE 23505"):
        runner.migrate(empty_db_url, db_dir)
    # The failed build left dup_x invalid; the second run's IF NOT EXISTS skips it: still not recorded.
    with pytest.raises(runner.MigrationError, match=r"migrations/002_unique\.sql: leaves invalid index\(es\) dup_x"):
        runner.migrate(empty_db_url, db_dir)
    assert history(empty_db_url) == [("migrations/001_table.sql", "migration")]


def test_a_utf8_byte_order_mark_is_ignored(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {})
    bom = b"\xef\xbb\xbf"
    (db_dir / "migrations/001_a.sql").write_bytes(bom + b"create table public.a (id int);\n")
    (db_dir / "migrations/002_nt.sql").write_bytes(
        bom + b"-- assetsync: no-transaction\ncreate index concurrently a_id on public.a (id);\n"
    )
    (db_dir / "functions/f.sql").write_bytes(
        bom + b"create or replace function public.f() returns int language sql as 'select 1';\n"
    )
    assert runner.migrate(empty_db_url, db_dir).files == [
        "migrations/001_a.sql", "migrations/002_nt.sql", "functions/f.sql"
    ]
    assert query(empty_db_url, "select public.f()") == [(1,)]
    # The mark is not part of the checksum: saving the same file without it changes nothing.
    (db_dir / "migrations/001_a.sql").write_bytes(b"create table public.a (id int);\n")
    assert runner.status(empty_db_url, db_dir).ok
    script = tmp_path / "bundle.sql"
    script.write_text(bundle.bundle(load_project(db_dir)))
    assert "\ufeff" not in script.read_text()


def test_status_fails_when_an_applied_repeatable_file_is_gone(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {"migrations/001_a.sql": "select 1;", "functions/f.sql": "select 1;"})
    runner.migrate(empty_db_url, db_dir)
    (db_dir / "functions/f.sql").unlink()
    result = run_cli("status", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    assert result.returncode == 1, result.stdout
    assert "missing  functions/f.sql" in result.stdout
    assert "1 applied, 0 pending, 0 changed, 1 missing: NOT up to date" in result.stdout


# -- bundle ---------------------------------------------------------------------------------


def _psql_file(pg_server: PgServer, url: str, script: Path) -> subprocess.CompletedProcess[str]:
    assert pg_server.bin_dir is not None
    return subprocess.run(
        [str(pg_server.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bundle_applied_with_psql_leaves_nothing_to_migrate(
    tmp_path: Path, empty_db_url: str, pg_server: PgServer
) -> None:
    db_dir = make_db_dir(
        tmp_path,
        {
            "migrations/001_log.sql": "create table public.refresh_log (id serial);\ncomment on table "
            "public.refresh_log is 'it''s; tricky';",
            "migrations/2_index.sql": "-- assetsync: no-transaction\n"
            "create index concurrently refresh_log_id on public.refresh_log (id)",
            "functions/asset_sync_refresh.sql": REFRESH_SQL,
            "triggers/x.sql": "select 1",
        },
    )
    script = tmp_path / "bundle.sql"
    script.write_text(bundle.bundle(load_project(db_dir)))
    applied = _psql_file(pg_server, empty_db_url, script)
    assert applied.returncode == 0, applied.stderr
    assert query(empty_db_url, "select count(*) from public.refresh_log") == [(1,)]
    result = runner.migrate(empty_db_url, db_dir)
    assert result.applied == []
    assert runner.status(empty_db_url, db_dir).ok


def test_bundle_of_the_repo_db_dir_leaves_nothing_to_migrate(
    tmp_path: Path, empty_db_url: str, pg_server: PgServer
) -> None:
    script = tmp_path / "bundle.sql"
    script.write_text(bundle.bundle(load_project(REPO_DB_DIR)))
    applied = _psql_file(pg_server, empty_db_url, script)
    assert applied.returncode == 0, applied.stderr
    assert runner.migrate(empty_db_url, REPO_DB_DIR).applied == []


# -- the command line and the package ----------------------------------------------------------


def test_cli_reports_a_bad_dsn_in_one_line() -> None:
    result = run_cli("migrate", "--dsn", f"postgresql://nobody@127.0.0.1:{free_port()}/nowhere")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assetsync: error: cannot connect to the database:")
    assert "Traceback" not in result.stderr


def test_cli_reports_a_failing_migration_in_one_line(tmp_path: Path, empty_db_url: str) -> None:
    db_dir = make_db_dir(tmp_path, {"migrations/001_bad.sql": "select nope;"})
    result = run_cli("migrate", "--dsn", empty_db_url, "--db-dir", str(db_dir))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'assetsync: error: migrations/001_bad.sql:1:8: column "nope" does not exist (SQLSTATE 42703); '
        "the migration was rolled back"
    ]


def test_wheel_ships_the_sql_as_assetsync_db(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    builder = WheelBuilder(str(REPO_ROOT))
    wheel = next(iter(builder.build(directory=str(tmp_path), versions=["standard"])))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"assetsync/db/{p.relative_to(REPO_DB_DIR).as_posix()}" for p in REPO_DB_DIR.rglob("*.sql")}
    assert expected <= names
    assert "assetsync/cli.py" in names
    assert "assetsync/runner.py" in names
    assert {"assetsync/bootstrap.sql", "assetsync/uninstall.sql"} <= names, "the SQL the runner itself runs"
