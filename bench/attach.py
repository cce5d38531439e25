"""Benchmark of attaching to an app's tables (issue 14): `migrate --attach` on 100,000 copies and 10,000
library rows must take seconds, with no table rewrite.

A measurement, not a test (CI never runs it):

    make bench-attach
    .venv/bin/python bench/attach.py --dsn postgresql://user:pw@host/postgres   # another server (needs CREATEDB)
    .venv/bin/python bench/attach.py --copies 20000 --library 2000 --rounds 1    # smaller

Each round (re)creates the database assetsync_bench_attach with tests/sql/seed_app.sql (the seed app before
adoption) and its rows: USERS users, the library rows, each with one linked copy (tests/sql/seed_app_rows.sql)
and more copies of the same library rows up to --copies (one in ten with an edited description, one in five
with app-written override names). After VACUUM ANALYZE it runs assetsync.runner.migrate with --attach, as
`assetsync migrate --attach public.global_assets public.project_assets` does, and prints the seconds, the
copies attached per second, and whether the relfilenode of either app table changed (a rewrite). It checks
the result: every linked copy in step, one history row per library row.

Without --dsn it starts (or reuses) the embedded PostgreSQL of bench/run.py, in .assetsync/bench.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

from lib import SERVER_SETTINGS, connect, machine_info, with_dbname
from psycopg import sql

from assetsync.runner import Attach, migrate
from assetsync.server import LocalServer

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "sql"
DB = "assetsync_bench_attach"
USERS = 100

MORE_COPIES = """
insert into public.project_assets (project_id, global_asset_id, name, asset_type, description, image_key_url,
    overridden_fields)
select ('10000000-0000-4000-8000-' || lpad((a %% %(users)s::int + 1)::text, 12, '0'))::uuid,
    ('20000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid,
    'Asset ' || a, (array['character', 'location', 'prop'])[a %% 3 + 1],
    case when c %% 10 = 0 then 'a dirty, torn suit ' || a else 'a clean suit ' || a end, 'img/' || a,
    case when c %% 5 = 0 then array['image_key_url', 'not_a_field'] else '{}' end
from generate_series(%(first)s::int, %(last)s::int) as c, lateral (select (c - 1) %% %(library)s::int + 1 as a) as x
"""
FILENODES = """
select pg_relation_filenode('public.global_assets'), pg_relation_filenode('public.project_assets')
"""


def seed(admin_dsn: str, library: int, copies: int) -> str:
    with connect(admin_dsn) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(DB)))
    dsn = with_dbname(admin_dsn, DB)
    rows_sql = (SEED / "seed_app_rows.sql").read_text().replace(":users", str(USERS)).replace(":assets", str(library))
    with connect(dsn) as conn:
        conn.execute((SEED / "seed_app.sql").read_text())  # type: ignore[arg-type]
        conn.execute(rows_sql)  # type: ignore[arg-type]
        if copies > library:
            conn.execute(MORE_COPIES, {"users": USERS, "library": library, "first": library + 1, "last": copies})
        conn.execute("vacuum analyze")
    return dsn


def one_round(admin_dsn: str, library: int, copies: int) -> tuple[float, bool]:
    dsn = seed(admin_dsn, library, copies)
    with connect(dsn) as conn:
        before = conn.execute(FILENODES).fetchone()
    t0 = time.monotonic()
    migrate(dsn, REPO / "db", attach=Attach("public.global_assets", "public.project_assets"))
    seconds = time.monotonic() - t0
    with connect(dsn) as conn:
        after = conn.execute(FILENODES).fetchone()
        checks = conn.execute("""
            select
                (select count(*) from public.project_assets) as copies,
                (select count(*) from public.global_asset_versions) as versions,
                (select count(*) from public.project_assets as c join public.global_assets as g
                 on g.id = c.global_asset_id where c.global_version = g.version and c.sync_conflicts = '{}') as in_step
        """).fetchone()
    assert checks == (copies, library, copies), f"attach left the rows wrong: {checks}"
    return seconds, before == after


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", help="a server to use instead of the embedded one (needs CREATEDB)")
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--library", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.copies < args.library:
        parser.error("--copies must be at least --library (every library row has a copy)")

    server, was_running = None, True
    if args.dsn:
        admin_dsn = args.dsn
    else:
        home = Path(os.environ.get("ASSETSYNC_BENCH_HOME", REPO / ".assetsync" / "bench")).absolute()
        server = LocalServer(home=home, settings=SERVER_SETTINGS)
        was_running = server.running_port() is not None
        admin_dsn = server.start()
        print(f"embedded server in {home} ({'reused' if was_running else 'started'})")
    try:
        with connect(admin_dsn) as conn:
            machine = machine_info(conn)
        print(f"machine: {machine}")
        print(f"attach on {args.copies:,} copies and {args.library:,} library rows, {args.rounds} round(s)")
        times = []
        for n in range(1, args.rounds + 1):
            seconds, same_files = one_round(admin_dsn, args.library, args.copies)
            times.append(seconds)
            print(f"  round {n}: {seconds:.2f} s, {args.copies / seconds:,.0f} copies/s, "
                  f"{'no table rewrite' if same_files else 'A TABLE WAS REWRITTEN'}")
            if not same_files:
                return 1
        best, middle = min(times), statistics.median(times)
        print(f"median {middle:.2f} s ({args.copies / middle:,.0f} copies/s, "
              f"{(args.copies + args.library) / middle:,.0f} rows/s); best {best:.2f} s")
        with connect(admin_dsn) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))
    finally:
        if server is not None and not was_running:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
