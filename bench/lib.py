"""What the benchmarks share: the server and databases, the seed data, timing, pgbench, machine facts.

Seed data (see SEED_SQL). Globals g0..g1000 are at version 2 (version 2 changed description and
image_key_url), with both snapshots in global_asset_versions. Project assets are numbered n; their
id is md5('pa' || n)::uuid, so pgbench scripts can name them. Each n has a canonical state (view
bench_canonical), which the workloads restore between runs:
    fan     n = 1 .. fan             linked to g0, one version behind
    spread  n = fan+1 .. fan+spread  linked to g1..g1000, one version behind
    filler  n above                  linked to g1..g1000, up to date (grows the table for workload 6)
Of the rows one version behind, n % 100 in 1..9 overrides name (kept, no conflict) and n % 100 = 0
overrides description (the global changed it: a conflict), so 10% have overrides and 1% conflict.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

Conn = psycopg.Connection[Any]

BENCH_DB = "assetsync_bench"
SMALL_DB = "assetsync_bench_small"  # workload 6's small table
TRACK_TRIGGER = "project_assets_100_track"
# Settings of the dedicated embedded server (not applied with --dsn): everything in shared_buffers,
# no checkpoint in the middle of a run, and commits that do not wait for the disk, so that the
# measurements show the CPU cost of the code rather than this machine's fsync.
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "1h",
    "synchronous_commit": "off",
}
STATEMENT_TIMEOUT_MS = 15 * 60 * 1000  # every benchmark statement stops by itself


def with_dbname(dsn: str, dbname: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return make_conninfo(**params)


def connect(dsn: str, **options: str) -> Conn:
    settings = {"statement_timeout": str(STATEMENT_TIMEOUT_MS), **options}
    opts = " ".join(f"-c {key}={value}" for key, value in settings.items())
    return psycopg.connect(dsn, autocommit=True, options=opts)


# -- seed data ----------------------------------------------------------------------------

SEED_SQL = """
create table bench_seed (n integer primary key, id uuid not null unique, k integer not null, behind boolean not null);
alter table bench_seed set (autovacuum_enabled = false);
alter table project_assets set (autovacuum_enabled = false);
alter table global_assets set (autovacuum_enabled = false);
alter table global_asset_versions set (autovacuum_enabled = false);
create sequence bench_seq;

create view bench_canonical as
select
    s.n,
    s.id,
    md5('p' || s.n % 100)::uuid as project_id,
    md5('g' || s.k)::uuid as global_asset_id,
    case when s.behind and s.n % 100 between 1 and 9 then 'local name ' || s.n else 'asset ' || s.k end as name,
    'character'::text as asset_type,
    case
        when s.behind and s.n % 100 = 0 then 'local description ' || s.n
        when s.behind then 'v1 description ' || s.k
        else 'v2 description ' || s.k
    end as description,
    'https://img.example/' || case when s.behind then 'v1/' else 'v2/' end || s.k as image_key_url,
    null::uuid as visual_style_capsule_id,
    case when s.behind then 1 else 2 end as global_version,
    timestamptz '2025-01-01 00:00+00' as last_synced_at,
    case
        when s.behind and s.n % 100 between 1 and 9 then '{name}'::text[]
        when s.behind and s.n % 100 = 0 then '{description}'::text[]
        else '{}'::text[]
    end as overridden_fields,
    '{}'::jsonb as sync_conflicts
from bench_seed as s;

-- The empty-trigger variant of workload 1: the least any PL/pgSQL row trigger can cost.
create function public.bench_empty() returns trigger
language plpgsql security invoker set search_path = '' as $fn$
begin
    return new;
end;
$fn$;
create trigger bench_empty before update on project_assets for each row execute function public.bench_empty();
alter table project_assets disable trigger bench_empty;

begin;
alter table projects disable trigger user;
alter table global_assets disable trigger user;
alter table global_asset_versions disable trigger user;
insert into projects (id, name) select md5('p' || i)::uuid, 'project ' || i from generate_series(0, 99) as i;
insert into global_assets (id, name, asset_type, description, image_key_url, version)
select md5('g' || k)::uuid, 'asset ' || k, 'character', 'v2 description ' || k, 'https://img.example/v2/' || k, 2
from generate_series(0, 1000) as k;
insert into global_asset_versions (global_asset_id, version, snapshot, changed_fields)
select
    md5('g' || k)::uuid,
    v,
    jsonb_build_object(
        'name', 'asset ' || k, 'asset_type', 'character', 'description', 'v' || v || ' description ' || k,
        'image_key_url', 'https://img.example/v' || v || '/' || k, 'visual_style_capsule_id', null
    ),
    case when v = 1 then '{name,asset_type,description,image_key_url,visual_style_capsule_id}'::text[]
         else '{description,image_key_url}'::text[] end
from generate_series(0, 1000) as k, generate_series(1, 2) as v;
alter table projects enable trigger user;
alter table global_assets enable trigger user;
alter table global_asset_versions enable trigger user;
commit;
"""

_COLUMN_NAMES = (
    "project_id", "global_asset_id", "name", "asset_type", "description", "image_key_url",
    "visual_style_capsule_id", "global_version", "last_synced_at", "overridden_fields", "sync_conflicts",
)  # fmt: skip
COLUMNS = ", ".join(_COLUMN_NAMES)


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in _COLUMN_NAMES)


def add_rows(conn: Conn, first: int, last: int, kind: str) -> None:
    """Insert project assets n = first..last in their canonical state (the tracking trigger is off)."""
    k = "0" if kind == "fan" else "1 + n %% 1000"
    behind = "false" if kind == "filler" else "true"
    with conn.transaction():
        conn.execute(f"alter table project_assets disable trigger {TRACK_TRIGGER}")
        conn.execute(
            f"insert into bench_seed select n, md5('pa' || n)::uuid, {k}, {behind} "
            "from generate_series(%s::int, %s::int) as n",
            (first, last),
        )
        conn.execute(
            f"insert into project_assets (id, {COLUMNS}) select id, {COLUMNS} from bench_canonical "
            "where n between %s and %s order by id",
            (first, last),
        )
        conn.execute(f"alter table project_assets enable trigger {TRACK_TRIGGER}")
    conn.execute("vacuum (analyze) project_assets, bench_seed")


def reset_rows(conn: Conn, first: int, last: int) -> None:
    """Put project assets n = first..last back in their canonical state, then vacuum the table."""
    with conn.transaction():
        conn.execute(f"alter table project_assets disable trigger {TRACK_TRIGGER}")
        conn.execute(
            f"update project_assets as pa set ({COLUMNS}) = (select {_qualified('c')}) from bench_canonical as c "
            "where c.id = pa.id and c.n between %s and %s "
            f"and ({_qualified('pa')}) is distinct from ({_qualified('c')})",
            (first, last),
        )
        conn.execute(f"alter table project_assets enable trigger {TRACK_TRIGGER}")
    vacuum(conn)


def vacuum(conn: Conn) -> None:
    # The journal rows of committed runs (pgbench) would grow the table from run to run: start afresh.
    if conn.execute("select to_regclass('project_asset_changes') is not null").fetchone() == (True,):
        conn.execute("truncate project_asset_changes")
    conn.execute("vacuum project_assets")


def create_database(admin_dsn: str, name: str, db_dir: Path) -> str:
    """A fresh, migrated database; returns its DSN."""
    from assetsync.runner import migrate

    with connect(admin_dsn) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    migrate(dsn, db_dir)
    with connect(dsn) as conn:
        conn.execute(SEED_SQL)
    return dsn


# -- measuring ----------------------------------------------------------------------------


def backend_pid(conn: Conn) -> int:
    row = conn.execute("select pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def _proc_status_kib(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def is_local_postgres(pid: int | None) -> bool:
    """Whether pid is a PostgreSQL process of this machine (not so when --dsn names another host)."""
    try:
        return pid is not None and b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time (user + system) of a process, or of its exited children (cutime + cstime): how the
    postmaster accounts for the backends of a pgbench run once they have exited."""
    fields = _stat_fields(pid)
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def postmaster_pid(conn: Conn) -> int | None:
    pid = backend_pid(conn)
    if not is_local_postgres(pid):
        return None
    parent = int(_stat_fields(pid)[1])
    return parent if is_local_postgres(parent) else None


@dataclass
class Measure:
    """One run of a variant: its value (ms, tps or assets/s); the server CPU time per unit of work, in ms,
    when the server runs here; the backend's peak memory in MiB (workload 4)."""

    value: float
    cpu_ms: float | None = None
    peak_rss_mib: float | None = None
    peak_private_mib: float | None = None


@contextmanager
def measure_backend(conn: Conn, memory: bool = False) -> Iterator[Measure]:
    """Wall time in ms of what the block runs on conn, the backend's CPU time, and with memory=True its
    VmHWM (peak RSS, the shared buffers it touched included) and the peak of its RssAnon (private
    memory) sampled every 5 ms."""
    pid = backend_pid(conn)
    local = is_local_postgres(pid)
    result = Measure(0.0)
    stop = threading.Event()
    peak = [0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _proc_status_kib(pid, "RssAnon") or 0)
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True) if local and memory else None
    if thread:
        thread.start()
    cpu0 = cpu_seconds(pid) if local else 0.0
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.value = (time.perf_counter() - start) * 1000
        if local:
            result.cpu_ms = (cpu_seconds(pid) - cpu0) * 1000
        if thread:
            stop.set()
            thread.join()
            hwm = _proc_status_kib(pid, "VmHWM")
            result.peak_rss_mib = hwm / 1024 if hwm is not None else None
            result.peak_private_mib = peak[0] / 1024


def alternate(variants: list[str], rounds: int, run: Callable[[str, bool], Measure]) -> dict[str, list[Measure]]:
    """Run each variant once per round, in turn (ABAB...), after one warm-up round (run's second argument
    is True there) whose measures are dropped."""
    samples: dict[str, list[Measure]] = {v: [] for v in variants}
    for r in range(-1, rounds):
        for variant in variants:
            measure = run(variant, r < 0)
            if r >= 0:
                samples[variant].append(measure)
    return samples


@dataclass
class Pgbench:
    """pgbench of the embedded binaries: 2 clients, fixed duration, custom scripts, -n, prepared
    statements. Given the postmaster's pid, also the server CPU time per transaction: the CPU time of
    the run's backends, which the postmaster collects when they exit."""

    bin_dir: Path
    seconds: int
    postmaster: int | None = None
    clients: int = 2
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="assetsync-bench-")))

    def run(
        self, dsn: str, name: str, script: str, warmup: bool = False, latency: bool = False, options: str = ""
    ) -> Measure:
        """One run of `script` (a warm-up run lasts 1 s): its tps, or with latency=True its average latency.
        `options` are more server settings for its sessions ("-c name=value ...", as in PGOPTIONS)."""
        seconds = 1 if warmup else self.seconds
        path = self.workdir / f"{name}.sql"
        path.write_text(script)
        params = conninfo_to_dict(dsn)
        env = dict(os.environ)
        if "password" in params:
            env["PGPASSWORD"] = str(params.pop("password"))  # not on the command line
        env["PGOPTIONS"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} {options}".rstrip()
        cmd = [
            str(self.bin_dir / "pgbench"), "-n", "-M", "prepared",
            "-c", str(self.clients), "-j", str(self.clients), "-T", str(seconds),
            "-f", str(path), make_conninfo(**params),
        ]  # fmt: skip
        cpu0 = cpu_seconds(self.postmaster, children=True) if self.postmaster else 0.0
        result = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=seconds + 120, check=False, cwd="/"
        )
        out = result.stdout
        tps = re.search(r"^tps = ([\d.]+)", out, re.MULTILINE)
        avg = re.search(r"^latency average = ([\d.]+) ms", out, re.MULTILINE)
        done = re.search(r"^number of transactions actually processed: (\d+)", out, re.MULTILINE)
        failed = re.search(r"^number of failed transactions: (\d+)", out, re.MULTILINE)
        if result.returncode != 0 or not tps or not avg or not done or (failed and failed.group(1) != "0"):
            raise RuntimeError(f"pgbench {name} failed:\n{out}\n{result.stderr}")
        cpu_ms = None
        if self.postmaster:
            time.sleep(0.2)  # let the postmaster reap the run's backends
            cpu_ms = (cpu_seconds(self.postmaster, children=True) - cpu0) * 1000 / int(done.group(1))
        return Measure(float(avg.group(1)) if latency else float(tps.group(1)), cpu_ms)


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- machine ------------------------------------------------------------------------------


def machine_info(conn: Conn) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    version = conn.execute("select version()").fetchone()
    settings = conn.execute(
        "select name, setting || coalesce(' ' || unit, '') from pg_settings where name = any(%s) order by name",
        (["shared_buffers", "synchronous_commit", "fsync", "work_mem", "max_wal_size", "jit"],),
    ).fetchall()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(int(total.group(1)) / 1024**2, 1) if total else None,
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": version[0] if version else None,
        "settings": dict(settings),
        "loadavg_start": os.getloadavg(),
    }
