"""The shapes proposed in proposals.sql (run.py --proposals): install them, and check that they behave
like the generated code before anything is measured: same reports and rows for single and fan-out
syncs (new conflicts, replaced ones, up-to-date calls), a concurrent edit kept, and the same outcome
(row or SQLSTATE) for a series of client UPDATEs under the proposed triggers.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from lib import TRACK_TRIGGER, Conn, connect
from workloads import P1_TRIGGERS, pa_id

SQL = Path(__file__).with_name("proposals.sql")

# The rows of project assets, without what differs by construction (timestamps, detected_at).
STATE = """
select jsonb_agg(
    to_jsonb(pa) - 'updated_at' - 'last_synced_at' || jsonb_build_object('sync_conflicts', (
        select coalesce(jsonb_object_agg(e.key, e.value - 'detected_at'), '{}')
        from jsonb_each(pa.sync_conflicts) as e
    ))
    order by pa.id
)
from project_assets as pa
where pa.id = any(%s) or pa.global_asset_id = any(%s)
"""
BUMP = """
update global_assets set name = name || ' v3', description = description || ' v3'
where id in (select global_asset_id from project_assets where id = any(%s)) or id = any(%s)
"""


def install(conn: Conn) -> None:
    conn.execute(SQL.read_text())


def use_proposed_triggers(conn: Conn, on: bool) -> None:
    """P1's triggers instead of the generated one (or back)."""
    for trigger in P1_TRIGGERS:
        conn.execute(f"alter table project_assets {'enable' if on else 'disable'} trigger {trigger}")
    conn.execute(f"alter table project_assets {'disable' if on else 'enable'} trigger {TRACK_TRIGGER}")


def _syncs(conn: Conn, proposed: bool, ids: list[uuid.UUID], globals_: list[str]) -> tuple[list[Any], Any]:
    single = "bench_sync_project_asset" if proposed else "sync_project_asset"
    fan = "bench_sync_global_asset" if proposed else "sync_global_asset"
    gids = [conn.execute(f"select md5('{g}')::uuid").fetchone()[0] for g in globals_]  # type: ignore[index]
    reports: list[Any] = []
    with conn.transaction(force_rollback=True):
        use_proposed_triggers(conn, proposed)
        for step in range(3):  # one version behind; then after a new version; then up to date
            if step == 1:
                conn.execute(BUMP, (ids, gids))
            reports += [conn.execute(f"select {single}(%s)", (i,)).fetchone()[0] for i in ids]  # type: ignore[index]
            for gid in gids:
                conn.execute(f"select {fan}(%s)", (gid,))
        state = conn.execute(STATE, (ids, gids)).fetchone()[0]  # type: ignore[index]
    for report in reports:
        report.pop("detected_at", None)
    return reports, state


CLIENT_UPDATES = [
    "update project_assets set description = 'edited' where id = %(id)s",
    "update project_assets set description = 'edited again' where id = %(id)s",
    "update project_assets set name = name where id = %(id)s",
    "update project_assets set overridden_fields = '{}' where id = %(id)s",
    "update project_assets set overridden_fields = '{bogus}' where id = %(id)s",
    "update project_assets set global_version = 5 where id = %(id)s",
    "update project_assets set sync_conflicts = '{\"x\": 1}' where id = %(id)s",
    "update project_assets set description = 'z', overridden_fields = '{name,name}' where id = %(id)s",
    "update project_assets set project_id = md5('p3')::uuid where id = %(id)s",
    "update project_assets set global_asset_id = null where id = %(id)s",
    "update project_assets set global_asset_id = md5('g5')::uuid, name = 'relinked' where id = %(id)s",
    "update project_assets set image_key_url = null, visual_style_capsule_id = gen_random_uuid() where id = %(id)s",
]


def _client_updates(conn: Conn, proposed: bool, asset: uuid.UUID) -> list[Any]:
    outcomes: list[Any] = []
    with conn.transaction(force_rollback=True):
        use_proposed_triggers(conn, proposed)
        for statement in CLIENT_UPDATES:
            try:
                with conn.transaction():
                    conn.execute(statement, {"id": asset})
                row = conn.execute(STATE, ([asset], [])).fetchone()[0]  # type: ignore[index]
                # visual_style_capsule_id is random in the last statement: compare whether it is set.
                row[0]["visual_style_capsule_id"] = row[0]["visual_style_capsule_id"] is not None
                outcomes.append(row)
            except psycopg.Error as exc:
                outcomes.append(exc.sqlstate)
    return outcomes


def _race(dsn: str, asset: uuid.UUID) -> bool:
    """An edit committed while the proposed sync waits for the row is kept."""
    with connect(dsn) as editor, connect(dsn) as syncer, connect(dsn) as admin:
        with admin.transaction():
            use_proposed_triggers(admin, True)
        try:
            editor.execute("begin")
            editor.execute("update project_assets set description = 'concurrent edit' where id = %s", (asset,))
            result: dict[str, Any] = {}
            thread = threading.Thread(
                target=lambda: result.update(
                    r=syncer.execute("select bench_sync_project_asset(%s)", (asset,)).fetchone()
                )
            )
            thread.start()
            time.sleep(0.5)
            editor.execute("commit")
            thread.join(timeout=60)
            row = admin.execute(
                "select description, 'description' = any(overridden_fields) from project_assets where id = %s", (asset,)
            ).fetchone()
        finally:
            with admin.transaction():
                use_proposed_triggers(admin, False)
    return row == ("concurrent edit", True) and "r" in result


def check(dsn: str, first: int, count: int) -> list[tuple[str, bool]]:
    """Project assets first..first+count-1 are one version behind (the spread set of lib.py)."""
    ids = [pa_id(n) for n in range(first, first + min(count, 300))]
    with connect(dsn) as conn:
        generated = _syncs(conn, False, ids, ["g1", "g2", "g11"])
        proposed = _syncs(conn, True, ids, ["g1", "g2", "g11"])
        updates = [_client_updates(conn, p, pa_id(first + 1)) for p in (False, True)]
    conflicts = sum(1 for r in generated[0] if r["conflict_fields"])
    up_to_date = sum(1 for r in generated[0] if r["status"] == "up_to_date")
    return [
        (f"P2 reports equal ({len(ids)} assets x 3 syncs, {conflicts} with conflicts, {up_to_date} up to date)",
         generated[0] == proposed[0]),
        ("P2+P3 rows equal after single and fan-out syncs", generated[1] == proposed[1]),
        (f"P1 same row or SQLSTATE for {len(CLIENT_UPDATES)} client UPDATEs", updates[0] == updates[1]),
        ("P1+P2 an edit committed while the sync waits is kept", _race(dsn, pa_id(first + count - 1))),
    ]  # fmt: skip
