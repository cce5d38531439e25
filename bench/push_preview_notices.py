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

each with the queue as installed ("notices") and with its inserts dropped by a BEFORE INSERT trigger that
returns NULL and the flush trigger disabled ("no notices": the closest to the code without the queue that
needs no second build). Variants alternate; medians are printed.

Without --dsn it starts (or reuses) the embedded PostgreSQL of bench/run.py, in .assetsync/bench.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from lib import SERVER_SETTINGS, connect, create_database, machine_info
from psycopg import sql

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

QUEUE_OFF = """
create function assetsync.bench_drop_notice() returns trigger language plpgsql as 'begin return null; end';
create trigger bench_drop before insert on assetsync.notice_queue
for each row execute function assetsync.bench_drop_notice();
alter table assetsync.notice_queue disable trigger notice_queue_100_flush;
"""
QUEUE_ON = """
drop trigger bench_drop on assetsync.notice_queue;
drop function assetsync.bench_drop_notice();
alter table assetsync.notice_queue enable trigger notice_queue_100_flush;
"""


def timed(dsn: str, work: str, notices: bool) -> float:
    with connect(dsn) as conn:
        conn.execute("begin")
        if not notices:
            conn.execute(QUEUE_OFF)
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
