"""The `assetsync` command: arguments, output and exit codes. Nothing imports this module.

Exit codes: 0 success, 1 a refusal or failure (one line on stderr; --debug re-raises instead), 2 bad usage.
No output carries a password, except `assetsync db url`, whose job it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from assetsync import __version__, bundle, demo, runner
from assetsync.files import MigrationError, Project, load_project, shipped_db_dir
from assetsync.plan import STATES
from assetsync.redact import mask
from assetsync.server import LocalServer, ServerError


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _out(line: str) -> None:
    print(line, flush=True)


def _embedded_server() -> LocalServer:
    server = LocalServer()
    if not server.is_initialised():
        _err(f"assetsync: creating the embedded PostgreSQL's data directory in {server.pgdata} "
             "(ASSETSYNC_HOME moves it; `assetsync db stop`, then delete it, to remove it)")
    return server


def _resolve_dsn(args: argparse.Namespace) -> str:
    """--dsn, else DATABASE_URL, else the embedded server (started or reused); empty is an error."""
    if getattr(args, "dsn", None) is not None:
        if not args.dsn.strip():
            raise MigrationError("--dsn is empty (an unset variable?); give a PostgreSQL URL, or leave out --dsn")
        return str(args.dsn)
    env = os.environ.get("DATABASE_URL")
    if env is not None:
        if not env.strip():
            raise MigrationError("DATABASE_URL is set but empty; give it a PostgreSQL URL, or unset it")
        return env
    url = _embedded_server().start()
    _err(f"assetsync: using the embedded PostgreSQL at {mask(url)}")
    return url


def _project(args: argparse.Namespace) -> Project:
    db_dir = Path(args.db_dir) if getattr(args, "db_dir", None) else shipped_db_dir()
    return load_project(db_dir)


def _attach(args: argparse.Namespace) -> runner.Attach | None:
    """--attach LIBRARY COPIES and its --option KEY=VALUE pairs (option values are strings)."""
    options: dict[str, str] = {}
    for option in args.option or ():
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise MigrationError(f"--option {option!r}: give it as KEY=VALUE, e.g. --option link_column=item_id")
        options[key] = value
    if args.attach is None:
        if options:
            raise MigrationError("--option goes with --attach LIBRARY COPIES")
        return None
    library, copies = args.attach
    return runner.Attach(library, copies, options)


def cmd_migrate(args: argparse.Namespace) -> int:
    project = _project(args)
    dsn = _resolve_dsn(args)
    result = runner.migrate(
        dsn,
        project.db_dir,
        dry_run=args.dry_run,
        grant_to=args.grant_to or (),
        revoke_from=args.revoke_from or (),
        attach=_attach(args),
        echo=_out,
        on_notice=_err,
    )
    if result.dry_run:
        _out(f"dry run: {len(result.would_apply)} file(s) would be applied; nothing was changed")
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


def cmd_status(args: argparse.Namespace) -> int:
    project = _project(args)
    result = runner.status(_resolve_dsn(args), project.db_dir)
    for entry in result.entries:
        note = f"  ({entry.note})" if entry.note else ""
        _out(f"{entry.state:<8} {entry.file}{note}")
    counts = ", ".join(f"{result.count(s)} {s}" for s in STATES)
    if not result.installed:
        verdict = "assetsync is not installed in this database (never migrated): run `assetsync migrate`"
    else:
        verdict = "up to date" if result.ok else "NOT up to date"
    _out(f"status: {counts}: {verdict}")
    return 0 if result.ok else 1


def cmd_bundle(args: argparse.Namespace) -> int:
    project = _project(args)
    if args.uninstall:
        sys.stdout.write(bundle.uninstall(project, drop_data=args.drop_data, drop_columns=args.drop_columns))
    else:
        if args.drop_data or args.drop_columns:
            raise MigrationError("--drop-data and --drop-columns go with --uninstall")
        sys.stdout.write(
            bundle.bundle(
                project, grant_to=args.grant_to or (), revoke_from=args.revoke_from or (), attach=_attach(args)
            )
        )
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    script = bundle.uninstall(_project(args), drop_data=args.drop_data, drop_columns=args.drop_columns)
    notices: list[str] = []  # "dropping …" lines, shown only once the transaction has committed
    runner.run_script(_resolve_dsn(args), script, on_notice=notices.append)
    for line in notices:
        _err(line)
    _out("uninstall: assetsync removed; `assetsync migrate` installs it again")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The John Doe story on a fresh demo database (re-running starts it over)."""
    project = _project(args)
    dsn = _resolve_dsn(args)
    try:
        url = demo.recreate_database(dsn)
    except psycopg.Error as exc:
        raise MigrationError(f"cannot connect to the database: {mask(runner.one_line(str(exc)), dsn)}") from exc
    result = runner.migrate(url, project.db_dir, echo=lambda _line: None, on_notice=_err)
    _out(f"demo database {demo.DEMO_DATABASE}: {len(result.applied)} file(s) applied ({result.duration_ms} ms)")
    demo.run(url, sys.stdout, colour=sys.stdout.isatty())
    shown = mask(url)
    psql = shutil.which("psql") or "psql"
    embedded = not getattr(args, "dsn", None) and not os.environ.get("DATABASE_URL")
    _out("")
    _out(f"Connection string: {shown}" + ("  (password masked)" if shown != url else ""))
    # The password is never printed: on the embedded server the commands ask `db url` for the URL instead.
    target = f'"$({_self_command()} db url --database {demo.DEMO_DATABASE})"' if embedded else f"'{shown}'"
    _out("Explore further:")
    _out(f"  {psql} {target} -c '\\d+ project_assets'")
    _out(f"  {psql} {target} -c 'select * from project_asset_sync_status'")
    versions = "select version, changed_fields, snapshot from global_asset_versions order by version"
    _out(f"  {psql} {target} -c '{versions}'")
    return 0


def _self_command() -> str:
    """How to run this command again from a shell: `assetsync` when it is on PATH, else its full path."""
    found = shutil.which("assetsync")
    here = Path(sys.argv[0]).resolve()
    return "assetsync" if found and Path(found).resolve() == here else str(here)


def cmd_db(args: argparse.Namespace) -> int:
    if args.action == "start":
        url = _embedded_server().start()
        _out(f"{mask(url)}  (`assetsync db url` prints it with its password)")
        return 0
    server = LocalServer()
    if args.action == "stop":
        _out("stopped" if server.stop() else f"no server running in {server.pgdata}")
    else:
        url = server.url()
        _out(with_database(url, args.database) if args.database else url)
    return 0


def with_database(url: str, name: str) -> str:
    """The same URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assetsync",
        description="Deploy and manage the assetsync PostgreSQL schema.",
        epilog="Database: --dsn, else $DATABASE_URL, else an embedded PostgreSQL (extra assetsync[embedded]) "
        "in ./.assetsync ($ASSETSYNC_HOME overrides). SQL: the copy shipped in the package, or --db-dir.",
    )
    parser.add_argument("--version", action="version", version=f"assetsync {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an error, show the traceback instead of one line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser, dsn: bool = True) -> argparse.ArgumentParser:
        if dsn:
            p.add_argument("--dsn", help="PostgreSQL URL (default: $DATABASE_URL, else the embedded server)")
        p.add_argument("--db-dir", help="a directory holding migrations/, functions/, triggers/ "
                       "(default: the SQL shipped in the package; never ./db unless given)")
        return p

    def with_uninstall_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--drop-data", action="store_true",
                       help="also drop the tables projects, global_assets, project_assets and their rows")
        p.add_argument("--drop-columns", action="store_true",
                       help="on tables attached with --attach: also drop the columns assetsync added to them")

    def with_attach(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--attach", nargs=2, metavar=("LIBRARY", "COPIES"), help="attach assetsync to an app's own "
                       "library table and copies table instead of creating its tables (see docs/attach.md)")
        p.add_argument("--option", action="append", metavar="KEY=VALUE", help="an option of --attach: link_column, "
                       "project_column, versions_table, exclude=a,b (repeatable)")
        return p

    def with_privileges(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--grant-to", action="append", metavar="ROLE", help="grant ROLE exactly the API privileges "
                       "and keep them through every later migrate (repeatable; see docs/supabase.md)")
        p.add_argument("--revoke-from", action="append", metavar="ROLE", help="revoke everything assetsync "
                       "granted ROLE and forget it (repeatable)")
        return p

    migrate = with_attach(with_privileges(
        with_db(sub.add_parser("migrate", help="apply pending migrations and changed repeatable files"))
    ))
    migrate.add_argument("--dry-run", action="store_true", help="list what would be applied, change nothing")
    migrate.set_defaults(func=cmd_migrate)
    with_db(sub.add_parser("status", help="list applied, pending, changed and missing files")).set_defaults(
        func=cmd_status
    )
    bundle_parser = with_db(sub.add_parser(
        "bundle", help="print one SQL script that installs or upgrades assetsync (safe to run again)"), dsn=False)
    bundle_parser.add_argument("--uninstall", action="store_true", help="print the uninstall script instead")
    with_attach(with_privileges(bundle_parser))
    with_uninstall_flags(bundle_parser)
    bundle_parser.set_defaults(func=cmd_bundle)
    uninstall = with_db(sub.add_parser("uninstall", help="remove every object assetsync created, in one transaction"))
    with_uninstall_flags(uninstall)
    uninstall.set_defaults(func=cmd_uninstall)
    with_db(sub.add_parser(
        "demo",
        help="walk through the John Doe story on a fresh demo database",
        description=f"DROPS and recreates the database {demo.DEMO_DATABASE} on the server (forcing out its "
        "sessions), migrates it and walks through the John Doe story. Re-running starts it over.",
    )).set_defaults(func=cmd_demo)
    db = sub.add_parser("db", help="manage the embedded PostgreSQL server")
    db.add_argument("--database", metavar="NAME", help="with url: the URL of database NAME on that server")
    db.add_argument("action", choices=["start", "stop", "url"],
                    help="start (or reuse), stop, print the URL (with its password)")
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dsns = [d for d in (getattr(args, "dsn", None), os.environ.get("DATABASE_URL")) if d]
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _err("assetsync: interrupted")
        return 130
    except (MigrationError, ServerError) as exc:
        if args.debug:
            raise
        _err(f"assetsync: error: {mask(' '.join(str(exc).split()), *dsns)}")
    except Exception as exc:  # never a traceback wall: one line, and a way to get more
        if args.debug:
            raise
        _err(f"assetsync: unexpected {type(exc).__name__}: {mask(' '.join(str(exc).split()), *dsns)} "
             "(--debug shows the traceback)")
    return 1
