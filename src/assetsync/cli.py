"""The `assetsync` command: arguments, output and exit codes. Nothing imports this module.

Exit codes: 0 success, 1 a refusal or failure (one line on stderr), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from assetsync import demo, runner
from assetsync.server import LocalServer, ServerError, embedded_bin_dir


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _out(line: str) -> None:
    print(line, flush=True)


def _resolve_dsn(args: argparse.Namespace) -> str:
    """--dsn, else DATABASE_URL, else the embedded server (started or reused)."""
    if getattr(args, "dsn", None):
        return str(args.dsn)
    env = os.environ.get("DATABASE_URL")
    if env:
        return env
    url = LocalServer().start()
    _err(f"assetsync: using the embedded PostgreSQL at {url}")
    return url


def _db_dir(args: argparse.Namespace) -> Path:
    return Path(args.db_dir) if getattr(args, "db_dir", None) else runner.default_db_dir()


def cmd_migrate(args: argparse.Namespace) -> int:
    dsn = _resolve_dsn(args)
    result = runner.migrate(
        dsn,
        _db_dir(args),
        dry_run=args.dry_run,
        grant_to=args.grant_to or (),
        revoke_from=args.revoke_from or (),
        echo=_out,
        on_notice=_err,
    )
    if result.dry_run:
        count = len(result.would_apply)
        _out(f"dry run: {count} file(s) would be applied; nothing was changed")
        return 0
    migrations = sum(1 for a in result.applied if a.kind == "migration")
    repeatables = len(result.applied) - migrations
    refresh = "asset_sync_refresh() called" if result.refreshed else "no asset_sync_refresh() to call"
    if result.applied:
        summary = f"{migrations} migration(s) and {repeatables} repeatable file(s) applied"
    else:
        summary = "nothing to apply, database up to date"
    _out(f"migrate: {summary}; {refresh} ({result.duration_ms} ms)")
    return 0


def _print_status(result: runner.StatusResult) -> None:
    for entry in result.entries:
        note = f"  ({entry.note})" if entry.note else ""
        _out(f"{entry.state:<8} {entry.file}{note}")
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("applied", "pending", "changed", "missing"))
    verdict = "up to date" if result.ok else "NOT up to date"
    _out(f"status: {counts}: {verdict}")


def cmd_status(args: argparse.Namespace) -> int:
    result = runner.status(_resolve_dsn(args), _db_dir(args))
    _print_status(result)
    return 0 if result.ok else 1


def cmd_bundle(args: argparse.Namespace) -> int:
    sys.stdout.write(runner.bundle(_db_dir(args), grant_to=args.grant_to or (), revoke_from=args.revoke_from or ()))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The John Doe story on a fresh demo database (re-running starts it over)."""
    url = demo.recreate_database(_resolve_dsn(args))
    result = runner.migrate(url, _db_dir(args), echo=lambda _line: None, on_notice=_err)
    _out(f"demo database {demo.DEMO_DATABASE}: {len(result.applied)} file(s) applied ({result.duration_ms} ms)")
    demo.run(url, sys.stdout, colour=sys.stdout.isatty())
    psql = shutil.which("psql") or str(embedded_bin_dir() / "psql")
    _out("")
    _out(f"Connection string: {url}")
    _out("Explore further:")
    _out(f"  {psql} '{url}' -c '\\d+ project_assets'")
    _out(f"  {psql} '{url}' -c 'select * from project_asset_sync_status'")
    _out(f"  {psql} '{url}' -c 'select version, changed_fields, snapshot from global_asset_versions order by version'")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    server = LocalServer()
    if args.action == "start":
        _out(server.start())
    elif args.action == "stop":
        _out("stopped" if server.stop() else f"no server running in {server.pgdata}")
    else:
        _out(server.url())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assetsync",
        description="Deploy and manage the assetsync PostgreSQL schema.",
        epilog="Database: --dsn, else $DATABASE_URL, else an embedded PostgreSQL in ./.assetsync "
        "($ASSETSYNC_HOME overrides).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser, dsn: bool = True) -> argparse.ArgumentParser:
        if dsn:
            p.add_argument("--dsn", help="PostgreSQL URL (default: $DATABASE_URL, else the embedded server)")
        p.add_argument("--db-dir", help="directory holding migrations/, functions/, triggers/ "
                       "(default: ./db if it exists, else the copy shipped in the package)")
        return p

    def with_privileges(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--grant-to", action="append", metavar="ROLE", help="grant ROLE exactly the API privileges "
                       "and keep them through every later migrate (repeatable; see docs/supabase.md)")
        p.add_argument("--revoke-from", action="append", metavar="ROLE", help="revoke everything assetsync "
                       "granted ROLE and forget it (repeatable)")
        return p

    migrate = with_privileges(
        with_db(sub.add_parser("migrate", help="apply pending migrations and changed repeatable files"))
    )
    migrate.add_argument("--dry-run", action="store_true", help="list what would be applied, change nothing")
    migrate.set_defaults(func=cmd_migrate)
    with_db(sub.add_parser("status", help="list applied, pending, changed and missing files")).set_defaults(
        func=cmd_status
    )
    with_privileges(
        with_db(sub.add_parser("bundle", help="print one SQL script that builds the database"), dsn=False)
    ).set_defaults(func=cmd_bundle)
    with_db(sub.add_parser("demo", help="walk through the John Doe story on a fresh demo database")).set_defaults(
        func=cmd_demo
    )
    db = sub.add_parser("db", help="manage the embedded PostgreSQL server")
    db.add_argument("action", choices=["start", "stop", "url"], help="start (or reuse), stop, print the URL")
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (runner.MigrationError, ServerError) as exc:
        _err(f"assetsync: error: {exc}")
    except KeyboardInterrupt:
        _err("assetsync: interrupted")
        return 130
    except Exception as exc:  # never a traceback wall: one line, and a way to get more
        _err(f"assetsync: unexpected {type(exc).__name__}: {' '.join(str(exc).split())}")
    return 1
