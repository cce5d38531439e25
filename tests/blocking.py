"""Bounded polling helpers for the concurrency and fault tests: never a sleep used as synchronisation.

A test that needs another backend to be "inside" a statement (waiting on a lock) polls pg_stat_activity and
pg_locks in short intervals until it is, and fails (never hangs) when it does not happen within a limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 15.0


def poll_until(condition: Callable[[], bool], what: str, limit: float = WAIT_LIMIT_SECONDS) -> None:
    """Call condition every POLL_SECONDS until it is true; fail the test after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"gave up after {limit:.0f} s waiting until {what}")
        time.sleep(POLL_SECONDS)


def lock_wait_of(monitor: psycopg.Connection[Any], pid: int) -> tuple[str | None, list[int]]:
    """(wait_event of backend pid when it waits on a heavyweight lock else None, the pids blocking it)."""
    row = monitor.execute(
        """
        select case when a.wait_event_type = 'Lock' then a.wait_event end, pg_blocking_pids(a.pid)
        from pg_stat_activity as a
        where a.pid = %s
        """,
        [pid],
    ).fetchone()
    if row is None:
        return None, []
    return row[0], list(row[1] or [])


def wait_until_blocked(
    monitor: psycopg.Connection[Any], pid: int, blocker_pid: int | None = None, event: str | None = None
) -> None:
    """Wait (bounded) until backend pid waits on a lock (of kind `event`, e.g. 'advisory' or 'transactionid'),
    held by blocker_pid when given."""

    def blocked() -> bool:
        wait_event, blockers = lock_wait_of(monitor, pid)
        if wait_event is None or (event is not None and wait_event != event):
            return False
        return blocker_pid is None or blocker_pid in blockers

    held_by = f" held by backend {blocker_pid}" if blocker_pid is not None else ""
    poll_until(blocked, f"backend {pid} waits on a {event or 'heavyweight'} lock{held_by}")


def wait_until_gone(monitor: psycopg.Connection[Any], pid: int) -> None:
    """Wait (bounded) until backend pid has exited (its transaction is rolled back by then)."""

    def gone() -> bool:
        return monitor.execute("select count(*) from pg_stat_activity where pid = %s", [pid]).fetchone() == (0,)

    poll_until(gone, f"backend {pid} has exited")
