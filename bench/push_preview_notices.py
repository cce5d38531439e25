"""Benchmark of issue 17: the fan-out preview against the fan-out itself, and what the live notices' queue
costs a fan-out and a bulk library update.

A measurement, not a test (CI never runs it):

    .venv/bin/python bench/push_preview_notices.py                       # 100,000 copies, 10,000 globals
    .venv/bin/python bench/push_preview_notices.py --copies 20000 --library 2000 --rounds 1
    .venv/bin/python bench/push_preview_notices.py --dsn postgresql://user:pw@host/postgres   # needs CREATEDB

One global with --copies linked copies (one in ten overriding the description, so that the fan-out writes
conflicts and queues notices) and --library more globals. Each round, in a transaction that is rolled back:

- preview: preview_sync_global_asset() of the global after a library edit, all rows read;
- fan-out: the same edit, then sync_global_asset();
- bulk: one UPDATE of every global (--library new versions);

each with the notices as installed ("notices") and without them ("no notices": inside the rolled-back
transaction, the library's two statement-level notice triggers are dropped and the generated sync functions
are replaced by their own text without the CTE that queues conflict notices, so the baseline is the same code
minus every line that serves the notices). Variants alternate; medians are printed.

Without --dsn it starts (or reuses) the embedded PostgreSQL of bench/run.py, in .assetsync/bench.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lib import SERVER_SETTINGS, connect, create_database, machine_info
from psycopg import Connection, sql

from assetsync.server import LocalServer

REPO = Path(__file__).resolve().parents[1]
DB = "assetsync_bench_issue17"

SEED = """
insert into projects (id, name) values ('b0000000-0000-4000-8000-000000000001', 'Bench');
insert into global_assets (id, name, asset_type, description)
values ('b0000000-0000-4000-8000-000000000002', 'Crowd', 'character', 'a crowd of people');
insert into global_assets (name, asset_type, description)
select 'Extra ' || i, 'prop', 'extra ' || i from generate_series(1, %(library)d) as i;
insert into project_assets (project_id, name, asset_type, description, global_asset_id)
select 'b0000000-0000-4000-8000-000000000001', 'Crowd', 'character',
    case when i %% 10 = 0 then 'a local crowd ' || i else 'a crowd of people' end,
    'b0000000-0000-4000-8000-000000000002'
from generate_series(1, %(copies)d) as i;
"""
GLOBAL = "b0000000-0000-4000-8000-000000000002"

NOTICE_TRIGGERS = ("global_assets_600_notice_versions_on_insert", "global_assets_600_notice_versions_on_update")
SYNC_FUNCTIONS = ("assetsync.pull(uuid[])", "assetsync.pull_one(uuid)", "assetsync.pull_global(uuid)")
CONFLICT_CTE = "    -- The live notices of the copies"


def without_notices(conn: Connection[Any]) -> None:
    """Removes, in the caller's transaction, everything that serves the notices (rolled back afterwards)."""
    for trigger in NOTICE_TRIGGERS:
        conn.execute(sql.SQL("drop trigger {} on global_assets").format(sql.Identifier(trigger)))
    for function in SYNC_FUNCTIONS:
        row = conn.execute("select pg_get_functiondef(%s::regprocedure)", [function]).fetchone()
        assert row is not None
        text: str = row[0]
        start = text.index(CONFLICT_CTE)
        end = text.index("    -- The journal:", start)
        conn.execute(text[:start] + text[end:])


def timed(dsn: str, work: str, notices: bool) -> float:
    with connect(dsn) as conn:
        conn.execute("begin")
        if not notices:
            without_notices(conn)
        start = time.perf_counter()
        if work == "preview":
            conn.execute("update global_assets set description = 'a big crowd' where id = %s", [GLOBAL])
            conn.execute("select count(*) from preview_sync_global_asset(%s)", [GLOBAL]).fetchone()
        elif work == "fan-out":
            conn.execute("update global_assets set description = 'a big crowd' where id = %s", [GLOBAL])
            conn.execute("select sync_global_asset(%s)", [GLOBAL]).fetchone()
        else:
            conn.execute("update global_assets set description = description || '!'")
        # The notices are built at commit: the deferred trigger runs when SET CONSTRAINTS ALL IMMEDIATE fires.
        conn.execute("set constraints all immediate")
        seconds = time.perf_counter() - start
        conn.execute("rollback")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", help="a server to use instead of the embedded one (needs CREATEDB)")
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--library", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server, was_running = None, True
    if args.dsn:
        admin_dsn = args.dsn
    else:
        home = Path(os.environ.get("ASSETSYNC_BENCH_HOME", REPO / ".assetsync" / "bench")).absolute()
        server = LocalServer(home=home, settings=SERVER_SETTINGS)
        was_running = server.running_port() is not None
        admin_dsn = server.start()
    try:
        with connect(admin_dsn) as conn:
            print(f"machine: {machine_info(conn)}")
        dsn = create_database(admin_dsn, DB, REPO / "db")
        with connect(dsn) as conn:
            conn.execute(SEED % {"copies": args.copies, "library": args.library})
            conn.execute("vacuum analyze")
        print(f"{args.copies:,} copies of one global, {args.library:,} more globals, {args.rounds} round(s)")
        results: dict[tuple[str, bool], list[float]] = {}
        for _ in range(args.rounds):
            for work in ("preview", "fan-out", "bulk"):
                for notices in (True, False):
                    results.setdefault((work, notices), []).append(timed(dsn, work, notices))
        for work in ("preview", "fan-out", "bulk"):
            on = statistics.median(results[(work, True)])
            off = statistics.median(results[(work, False)])
            print(f"  {work:8} notices {on:7.3f} s   no notices {off:7.3f} s   ({(on / off - 1) * 100:+.1f} %)")
        with connect(admin_dsn) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))
    finally:
        if server is not None and not was_running:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
