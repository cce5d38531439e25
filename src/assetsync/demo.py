"""The newcomer's tour: the John Doe story, step by step, through the SQL API only.

Speaks only SQL through psycopg. The caller (cli.py) creates and migrates the demo database and hands
over its URL; every step says what it does and why, shows each statement it runs, and prints the few
fields that matter as a small table.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import UUID

import psycopg
from psycopg import sql

DEMO_DATABASE = "assetsync_demo"
DEMO_USER = "00000000-0000-4000-8000-00000000d3e0"

_COLOURS = {"conflict": "31", "overridden": "33", "in_sync": "32", "will_update": "36", "behind": "33",
            "up_to_date": "32", "detached": "2", "local": "2"}


def recreate_database(admin_dsn: str, name: str = DEMO_DATABASE) -> str:
    """Drop (forcing out sessions) and create the demo database; return its URL. Re-running is safe."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    parts = urlsplit(admin_dsn)
    if parts.scheme in ("postgres", "postgresql"):
        return urlunsplit(parts._replace(path="/" + quote(name)))
    return psycopg.conninfo.make_conninfo(admin_dsn, dbname=name)


class Printer:
    """Aligned tables, with colour only on a terminal."""

    def __init__(self, out: TextIO, colour: bool) -> None:
        self.out = out
        self.colour = colour
        self.step = 0

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def heading(self, title: str, why: str, *queries: str) -> None:
        """A numbered step: what it does, why (wrapped), and the SQL it runs, before its results."""
        self.step += 1
        self.out.write("\n" + self._paint(f"{self.step:>2}. {title}", "1") + "\n")
        for text in textwrap.wrap(why, width=100):
            self.line(text)
        for query in queries:
            self.out.write(self._paint(f"    > {query}", "2") + "\n")

    def line(self, text: str) -> None:
        self.out.write(f"    {text}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        cells = [[_cell(v) for v in row] for row in rows]
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
        header = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
        self.line(self._paint(header, "1"))
        for row in cells:
            painted = []
            for text, width in zip(row, widths, strict=True):
                code = _COLOURS.get(text)
                padded = text.ljust(width)
                painted.append(self._paint(padded, code) if code else padded)
            self.line("  ".join(painted).rstrip())


    def segments(self, label: str, segments: Sequence[dict[str, str]]) -> None:
        """text_diff() segments on one line: deleted text struck through in red and inserted text in green on a
        terminal, [-deleted-] and {+inserted+} (git's word-diff markers) elsewhere."""
        parts = []
        for segment in segments:
            text, op = segment["text"], segment["op"]
            if op == "delete":
                parts.append(self._paint(text, "9;31") if self.colour else f"[-{text}-]")
            elif op == "insert":
                parts.append(self._paint(text, "32") if self.colour else f"{{+{text}+}}")
            else:
                parts.append(text)
        self.line(f"{label}: " + "".join(parts))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, dict):
        return json.dumps(value)
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _one(conn: psycopg.Connection[Any], query: str, params: Sequence[Any] = ()) -> Any:  # noqa: ANN401 (a scalar of any SQL type)
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _copies(conn: psycopg.Connection[Any], p: Printer) -> None:
    rows = conn.execute(
        """
        select pr.name, pa.description, pa.image_key_url, pa.overridden_fields, pa.global_version,
               array(select jsonb_object_keys(pa.sync_conflicts)) as conflicts
        from project_assets as pa join projects as pr on pr.id = pa.project_id
        order by pr.name
        """
    ).fetchall()
    p.table(["project", "description", "image_key_url", "overridden", "global_version", "conflicts"], rows)


def _report(p: Printer, project: str, report: dict[str, Any]) -> None:
    p.line(
        f"{project}: {report['status']}  v{report['from_version']} -> v{report['to_version']}  "
        f"updated={_cell(report['updated_fields'])} kept={_cell(report['kept_fields'])} "
        f"conflicts={_cell(report['conflict_fields'])} merged={_cell(report['merged_fields'])}"
    )


def run(url: str, out: TextIO, colour: bool) -> None:
    """Walk through the story on a freshly migrated database."""
    p = Printer(out, colour)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select set_config('request.jwt.claims', %s, false)", [json.dumps({"sub": DEMO_USER})])
        p.line(f"Acting as user {DEMO_USER} (the sub claim of request.jwt.claims, as PostgREST sets it):")
        p.line("row-level security shows each user only their own library and projects.")

        p.heading(
            "The library holds John Doe (version 1)",
            "A global asset lives in the user's library. Every change to it makes a new version, and the"
            " database keeps each snapshot in global_asset_versions.",
            "insert into global_assets (name, asset_type, description)"
            " values ('John Doe', 'character', 'a tall man in a clean suit')",
        )
        john: UUID = _one(
            conn,
            "insert into global_assets (name, asset_type, description)"
            " values ('John Doe', 'character', 'a tall man in a clean suit') returning id",
        )
        p.table(["name", "description", "image_key_url", "version"], conn.execute(
            "select name, description, image_key_url, version from global_assets").fetchall())

        p.heading(
            "Projects A and B clone him",
            "A clone is a linked copy: it records the global version it was taken from (global_version 1),"
            " and nothing in it is overridden yet.",
            "insert into projects (name) values ('Project A'), ('Project B')",
            "select clone_global_asset(john, project_a); select clone_global_asset(john, project_b)",
        )
        a_project = _one(conn, "insert into projects (name) values ('Project A') returning id")
        b_project = _one(conn, "insert into projects (name) values ('Project B') returning id")
        a: UUID = _one(conn, "select clone_global_asset(%s, %s)", [john, a_project])
        b: UUID = _one(conn, "select clone_global_asset(%s, %s)", [john, b_project])
        _copies(conn, p)

        p.heading(
            "Project A edits the description: the trigger marks it overridden",
            "Any UPDATE of a synced field, whoever runs it (the app, psql, a DBA), adds the field to"
            " overridden_fields, so later syncs keep A's value instead of overwriting it.",
            "update project_assets set description = 'a tall man in a dirty, torn suit' where id = a",
        )
        conn.execute("update project_assets set description = 'a tall man in a dirty, torn suit' where id = %s", [a])
        _copies(conn, p)

        p.heading(
            "The library gives him red hair (v2) and a grey suit (v3)",
            "Two library edits make two versions. The copies do not change by themselves: they are now two"
            " versions behind until they are synced.",
            "update global_assets set image_key_url = 'https://img.example/john-red-hair.png' where id = john",
            "update global_assets set description = 'a tall man in a grey suit' where id = john",
        )
        conn.execute("update global_assets set image_key_url = 'https://img.example/john-red-hair.png'"
                     " where id = %s", [john])
        conn.execute("update global_assets set description = 'a tall man in a grey suit' where id = %s", [john])
        p.table(["version", "changed_fields"], conn.execute(
            "select version, changed_fields from global_asset_versions where global_asset_id = %s"
            " order by version", [john]).fetchall())

        p.heading(
            "Preview of 'Update from Global' for Project A",
            "project_asset_diff() shows each synced field three ways: A's value (local), the library's"
            " (global) and the library's at the version A last synced (base). It changes nothing.",
            "select * from project_asset_diff(a)",
        )
        p.table(["field", "local", "global", "base", "state"], conn.execute(
            "select field, local_value, global_value, base_value, state from project_asset_diff(%s)", [a]).fetchall())

        p.heading(
            "Update from Global: A keeps its torn suit and gets a conflict, B takes everything",
            "sync_project_asset() pulls the library into one copy. A takes the new image and keeps its"
            " overridden description; since the library changed that field too (base, local and global all"
            " differ), the sync records a conflict for a person to decide. B edited nothing and takes both"
            " changes.",
            "select sync_project_asset(a); select sync_project_asset(b)",
        )
        _report(p, "Project A", _one(conn, "select sync_project_asset(%s)", [a]))
        _report(p, "Project B", _one(conn, "select sync_project_asset(%s)", [b]))
        _copies(conn, p)
        entry = _one(conn, "select sync_conflicts -> 'description' from project_assets where id = %s", [a])
        p.line(f"A's conflict on description: base={entry['base']!r} local={entry['local']!r} "
               f"global={entry['global']!r}")

        p.heading(
            "Resolve it: keep_local (A keeps the torn suit, still overridden)",
            "keep_local answers 'mine': the conflict entry goes away and the description stays overridden,"
            " so later syncs go on protecting it.",
            "select resolve_sync_conflict(a, 'description', 'keep_local')",
        )
        conn.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", [a])
        _copies(conn, p)

        p.heading(
            "The library changes the suit again (v4): a new conflict, and this time A takes the global value",
            "To show the other answer we need a new conflict: the library describes a navy suit (version 4),"
            " and syncing A records a conflict again, because the library changed the description since A's"
            " base (v3) to a value that differs from A's. take_global answers 'theirs': A's description"
            " becomes the navy suit and is no longer overridden.",
            "update global_assets set description = 'a tall man in a navy suit' where id = john",
            "select sync_project_asset(a)",
            "select resolve_sync_conflict(a, 'description', 'take_global')",
        )
        conn.execute("update global_assets set description = 'a tall man in a navy suit' where id = %s", [john])
        _report(p, "Project A", _one(conn, "select sync_project_asset(%s)", [a]))
        conn.execute("select resolve_sync_conflict(%s, 'description', 'take_global')", [a])
        _copies(conn, p)

        p.heading(
            "Fan-out: a new image (v5) reaches every copy in one statement",
            "sync_global_asset() syncs every copy of one global asset with a single set-based UPDATE instead"
            " of one call per copy, and returns how many copies it visited.",
            "update global_assets set image_key_url = 'https://img.example/john-v5.png' where id = john",
            "select sync_global_asset(john)",
        )
        conn.execute("update global_assets set image_key_url = 'https://img.example/john-v5.png' where id = %s",
                     [john])
        p.line(f"sync_global_asset visited {_one(conn, 'select sync_global_asset(%s)', [john])} copies")
        _copies(conn, p)

        p.heading(
            "A tears the suit again; the library rolls back to version 1 (as a new version); fan-out",
            "A rollback never rewrites history: version 1's values come back as a new version 6. The fan-out"
            " brings them to every copy: B returns to the clean suit and no image; A takes the empty image but"
            " keeps its torn suit, overridden again, and gets a new conflict on the description.",
            "update project_assets set description = 'a tall man in a dirty, torn suit' where id = a",
            "select rollback_global_asset(john, 1)",
            "select sync_global_asset(john)",
        )
        conn.execute("update project_assets set description = 'a tall man in a dirty, torn suit' where id = %s", [a])
        p.line(f"rollback_global_asset made version {_one(conn, 'select rollback_global_asset(%s, 1)', [john])}")
        p.line(f"sync_global_asset visited {_one(conn, 'select sync_global_asset(%s)', [john])} copies")
        _copies(conn, p)

        p.heading(
            "Where every copy stands",
            "The view project_asset_sync_status answers it for every copy the user may see: A is in conflict"
            " (its torn suit against the rolled-back clean suit), B is up to date.",
            "select * from project_asset_sync_status",
        )
        p.table(["project", "global_version", "latest", "behind", "overridden", "conflicts", "state"], conn.execute(
            """
            select pr.name, s.global_version, s.latest_version, s.versions_behind, s.overridden_fields,
                   s.conflict_fields, s.state
            from project_asset_sync_status as s join projects as pr on pr.id = s.project_id
            order by pr.name
            """).fetchall())

        p.heading(
            "Oops: B's last sync is undone, from the journal",
            "Every change of a copy's sync state is journaled in project_asset_changes (who, when, from which"
            " client, each field before and after). undo_project_asset_change() puts B back exactly as it was"
            " before that sync, global_version included, so B is behind again and its next sync pulls anew.",
            "select id, kind, fields from project_asset_changes where project_asset_id = b order by id",
            "select undo_project_asset_change(<the last sync of b>)",
        )
        p.table(["id", "kind", "fields"], conn.execute(
            "select id, kind, fields from project_asset_changes where project_asset_id = %s order by id",
            [b]).fetchall())
        last_sync = _one(conn, "select max(id) from project_asset_changes where project_asset_id = %s"
                         " and kind = 'sync'", [b])
        p.line(f"undo_project_asset_change({last_sync}) wrote change "
               f"{_one(conn, 'select undo_project_asset_change(%s)', [last_sync])}")
        _copies(conn, p)

        p.heading(
            "Word-level merge: A's torn suit and a library edit elsewhere in the sentence",
            "set_synced_field_merge('description', 'text') (the owner's call) makes every sync merge the"
            " description word by word where it would otherwise record a conflict. The library now makes John"
            " short (v7): A changed 'clean' into 'dirty, torn', the library changed 'tall' into 'short', and"
            " the two edits do not overlap. project_asset_visual_diff() shows the words each side changed"
            " (struck through: deleted; highlighted: inserted), and project_asset_diff() says will_merge (A"
            " first answers its pending conflict with keep_local: a conflict entry would say conflict).",
            "select resolve_sync_conflict(a, 'description', 'keep_local')",
            "select set_synced_field_merge('description', 'text')",
            "update global_assets set description = 'a short man in a clean suit' where id = john",
            "select * from project_asset_visual_diff(a)",
        )
        conn.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", [a])
        conn.execute("select set_synced_field_merge('description', 'text')")
        conn.execute("update global_assets set description = 'a short man in a clean suit' where id = %s", [john])
        for field, state, base_to_local, base_to_global, local_to_global in conn.execute(
            "select * from project_asset_visual_diff(%s) where field = 'description'", [a]
        ).fetchall():
            p.line(f"{field}: {state}")
            p.segments("  base -> local ", base_to_local)
            p.segments("  base -> global", base_to_global)
            p.segments("  local -> global", local_to_global)

        p.heading(
            "Update from Global merges A's description",
            "The sync takes both edits: A's description becomes the merged text and stays overridden; the"
            " report lists it under merged (a conflict entry, had there been one, would be dropped). The merge"
            " is part of the sync's journal row, so undo_project_asset_change() could put A's text back.",
            "select sync_project_asset(a)",
        )
        _report(p, "Project A", _one(conn, "select sync_project_asset(%s)", [a]))
        _copies(conn, p)

        p.heading(
            "A pushes its description to the library",
            "push_project_asset_fields() makes A's overridden description the library's as one new version (v8),"
            " then syncs A: the description is no longer overridden, and the journal has one push row.",
            "select push_project_asset_fields(a, array['description'])",
        )
        p.line(f"push_project_asset_fields made version "
               f"{_one(conn, 'select push_project_asset_fields(%s, %s)', [a, ['description']])}")
        _copies(conn, p)

        p.heading(
            "Preview: what would Update from Global do to every copy now?",
            "preview_sync_global_asset() answers per copy and field (update, merge, conflict or keep) with the"
            " sync's own expressions, writing and locking nothing; preview_global_asset_change() does the same"
            " for a library edit before it is made.",
            "select * from preview_sync_global_asset(john)",
        )
        rows = conn.execute(
            "select 'copy in ' || p.name, v.field, v.outcome from preview_sync_global_asset(%s) as v"
            " join projects as p on p.id = v.project_id order by p.name, v.field",
            [john],
        ).fetchall()
        p.table(["copy", "field", "outcome"], rows)
