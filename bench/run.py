"""Benchmarks of assetsync (issue 7): what tracking and syncing cost, against the floor and an app-side sync.

Measurements, not tests (CI never runs them):

    make bench                      # full mode, about 12 minutes
    make bench BENCH_ARGS=--quick   # about a minute, smaller sizes (each row says so)
    make bench BENCH_ARGS='--quick --proposals'   # also check and measure bench/proposals.sql
    .venv/bin/python bench/run.py --dsn postgresql://... --only 1,4

Without --dsn it starts (or reuses) an embedded PostgreSQL 18 in .assetsync/bench (ASSETSYNC_BENCH_HOME
overrides), tuned by lib.SERVER_SETTINGS, and stops it at the end when it started it. With --dsn the
role must be able to create databases; peak RSS is read from /proc only when that server runs here.
It (re)creates the database assetsync_bench (and assetsync_bench_small for workload 6), migrates them
with assetsync.runner.migrate, seeds them (see lib.py), runs the workloads, prints the table and
writes it, with the machine it ran on, to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import proposals
from lib import (
    BENCH_DB,
    SERVER_SETTINGS,
    SMALL_DB,
    Pgbench,
    add_rows,
    connect,
    create_database,
    machine_info,
    postmaster_pid,
    reset_rows,
)
from workloads import WORKLOADS, Config, Context, Row

from assetsync.server import LocalServer, embedded_bin_dir

REPO = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """The commit of the SQL measured, and whether db/ differs from it."""
    git = ["git", "-C", str(REPO)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "db"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return commit.stdout.strip() + (" with uncommitted changes in db/" if dirty.stdout.strip() else "")


def settings_applied(dsn: str) -> bool:
    with connect(dsn) as conn:
        return all(
            str(conn.execute(f"select current_setting('{key}')").fetchone()[0]).lower() == value.lower()  # type: ignore[index]
            for key, value in SERVER_SETTINGS.items()
        )


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


HEADER = f"  {'variant':<32} {'median':>10} {'':<10} {'ratio':>6} {'cpu':>6}  {'goal':<40} {'':<6} note"


def print_rows(rows: list[Row]) -> None:
    print(f"\n{rows[0].workload}\n{HEADER}")
    for r in rows:
        met = "" if r.met is None else ("MET" if r.met else "MISSED")
        cpu = f"{r.cpu_ratio:.2f}x" if r.cpu_ratio is not None else "-"
        value = f"{fmt(r.median):>10} {r.unit:<10} {r.ratio:>5.2f}x {cpu:>6}"
        print(f"  {r.variant:<32} {value}  {r.goal:<40} {met:<6} {r.note}")
    sys.stdout.flush()


def main() -> int:
    # A SIGTERM (timeout, kill) unwinds like an exception, so that the server we started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="about a minute: smaller sizes, short runs")
    parser.add_argument("--dsn", help="a server to use instead of the embedded one (needs CREATEDB)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="workloads to run, e.g. 1,4 (default: all)")
    parser.add_argument("--rounds", type=int, help="override the number of measured rounds")
    parser.add_argument("--seconds", type=int, help="override the duration of each pgbench run")
    parser.add_argument(
        "--proposals", action="store_true", help="also check and measure the shapes of bench/proposals.sql"
    )
    args = parser.parse_args()
    cfg = Config.make(args.quick)
    if args.rounds:
        cfg.rounds = cfg.long_rounds = args.rounds
    if args.seconds:
        cfg.seconds = args.seconds
    selected = [w.strip() for w in args.only.split(",") if w.strip()]
    if unknown := [w for w in selected if w not in WORKLOADS]:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")

    started = datetime.now()
    server = None
    was_running = True
    if args.dsn:
        admin_dsn = args.dsn
    else:
        home = Path(os.environ.get("ASSETSYNC_BENCH_HOME", REPO / ".assetsync" / "bench")).absolute()
        server = LocalServer(home=home, settings=SERVER_SETTINGS)
        was_running = server.running_port() is not None
        admin_dsn = server.start()
        if was_running and not settings_applied(admin_dsn):  # started by someone else without them
            server.stop()
            admin_dsn, was_running = server.start(), False
        print(f"embedded server in {home} ({'reused' if was_running else 'started'})")
    try:
        print(f"creating and migrating {BENCH_DB}, seeding {cfg.fan + cfg.spread:,} project assets ...")
        # Both databases of workload 6 now, so that they hold the same generated code even if db/ changes.
        dsn = create_database(admin_dsn, BENCH_DB, REPO / "db")
        small_dsn = create_database(admin_dsn, SMALL_DB, REPO / "db") if "6" in selected else None
        if small_dsn:
            with connect(small_dsn) as small:
                add_rows(small, 1, cfg.small, "spread")
        with connect(dsn) as conn:
            machine = machine_info(conn)
            machine["code"] = code_version()
            add_rows(conn, 1, cfg.fan, "fan")
            add_rows(conn, cfg.fan + 1, cfg.fan + cfg.spread, "spread")
            pgbench = Pgbench(embedded_bin_dir(), cfg.seconds, postmaster_pid(conn))
            ctx = Context(cfg, dsn, conn, pgbench, small_dsn)
            checks: list[tuple[str, bool]] = []
            if args.proposals:
                print("installing and checking bench/proposals.sql ...")
                ctx.proposals = True
                proposals.install(conn)
                checks = proposals.check(dsn, cfg.fan + 1, cfg.spread)
                reset_rows(conn, cfg.fan + 1, cfg.fan + cfg.spread)
                for text, ok in checks:
                    print(f"  {'ok  ' if ok else 'FAIL'} {text}")
            rows: list[Row] = []
            for key in selected:
                t0 = time.monotonic()
                result = WORKLOADS[key](ctx)
                print_rows(result)
                print(f"  ({time.monotonic() - t0:.0f} s)")
                rows += result
    finally:
        if server is not None and not was_running:
            server.stop()

    print(f"\n== assetsync benchmarks, {'quick' if cfg.quick else 'full'} mode, {started:%Y-%m-%d %H:%M}")
    print(f"   {machine['cpu_model']}, {machine['nproc']} CPUs, {machine['memory_gib']} GiB; {machine['postgresql']}")
    print(f"   db/ at {machine['code']}; load average {machine['loadavg_start'][0]:.1f} at the start")
    for key in dict.fromkeys(r.workload for r in rows):
        print_rows([r for r in rows if r.workload == key])
    if ctx.explain:
        print("\n== EXPLAIN (ANALYZE, BUFFERS) of one sync_project_asset() on the large table (auto_explain)")
        print("\n".join(ctx.explain))
    machine["loadavg_end"] = os.getloadavg()
    out = REPO / "bench" / "results" / f"{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "mode": "quick" if cfg.quick else "full",
        "config": asdict(cfg),
        "machine": machine,
        "server_settings": SERVER_SETTINGS if server else "from --dsn",
        "rows": [asdict(r) for r in rows],
        "proposal_checks": [{"check": text, "ok": ok} for text, ok in checks],
        "explain": ctx.explain,
    }
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten to {out.relative_to(REPO)}")
    met = [r.met for r in rows if r.met is not None and not r.proposal]
    print(f"goals met: {sum(met)} of {len(met)}")
    if args.proposals:
        met = [r.met for r in rows if r.met is not None and r.proposal]
        print(f"with the proposals of bench/proposals.sql: {sum(met)} of {len(met)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
