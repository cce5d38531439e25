"""What the database recorded, and each file classified once against it.

`classify` gives every file one state (applied, pending, changed, missing); `assetsync status` prints
that list and `assetsync migrate` plans from it (`plan`), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import psycopg

from assetsync.files import Kind, MigrationError, Project, SqlFile

HISTORY_TABLE = "assetsync.migration_history"
State = Literal["applied", "pending", "changed", "missing"]
STATES: tuple[State, ...] = ("applied", "pending", "changed", "missing")


@dataclass(frozen=True)
class History:
    """What the database says was applied; installed is False when there is no history table."""

    installed: bool
    migrations: dict[str, tuple[str, int]]  # file -> (checksum, number)
    repeatables: dict[str, tuple[str, Kind]]  # file -> (last checksum, kind)

    @property
    def last_number(self) -> int | None:
        return max((number for _, number in self.migrations.values()), default=None)


def history_exists(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (HISTORY_TABLE,)).fetchone()
    return bool(row and row[0])


def read_history(conn: psycopg.Connection[Any]) -> History:
    if not history_exists(conn):
        return History(False, {}, {})
    migrations = {
        str(file): (str(checksum), int(number))
        for file, checksum, number in conn.execute(
            "select file, checksum, migration_number from assetsync.migration_history where kind = 'migration'"
        )
    }
    repeatables = {
        str(file): (str(checksum), cast(Kind, kind))
        for file, checksum, kind in conn.execute(
            "select distinct on (file) file, checksum, kind from assetsync.migration_history "
            "where kind <> 'migration' order by file, id desc"
        )
    }
    return History(True, migrations, repeatables)


@dataclass(frozen=True)
class Entry:
    """One file (its name relative to the db directory) and its state; source is None when it is gone."""

    state: State
    file: str
    kind: Kind
    source: SqlFile | None
    note: str = ""
    refusal: str = ""  # why migrate refuses to run because of this file, or ""


@dataclass(frozen=True)
class Classification:
    entries: list[Entry]
    installed: bool

    def count(self, state: State) -> int:
        return sum(1 for e in self.entries if e.state == state)

    @property
    def ok(self) -> bool:
        """Everything applied and unchanged."""
        return self.installed and all(e.state == "applied" for e in self.entries)

    @property
    def refusals(self) -> list[str]:
        return [f"{e.file}: {e.refusal}; refusing to run" for e in self.entries if e.refusal]


def classify(project: Project, history: History) -> Classification:
    """Every file of the project and of the history, in the order migrate would apply them."""
    entries: list[Entry] = []
    last = history.last_number
    on_disk = {f.name for f in project.migrations}
    for name in sorted(set(history.migrations) - on_disk, key=lambda n: history.migrations[n][1]):
        entries.append(Entry("missing", name, "migration", None, "applied but no longer in the db directory",
                             "applied migration is missing from the db directory"))
    for file in project.migrations:
        recorded = history.migrations.get(file.name)
        if recorded is None:
            below = last is not None and (file.number or 0) < last
            refusal = (f"new migration is numbered {file.number}, below the last applied migration {last}; "
                       f"renumber it above {last}") if below else ""
            entries.append(Entry("pending", file.name, file.kind, file, refusal and "migrate will refuse it", refusal))
        elif recorded[0] != file.checksum:
            refusal = (f"applied migration has changed since it was applied (checksum {recorded[0][:12]}… in the "
                       f"database, {file.checksum[:12]}… on disk); add a new migration instead")
            entries.append(Entry("changed", file.name, file.kind, file, "changed after it was applied", refusal))
        else:
            entries.append(Entry("applied", file.name, file.kind, file))
    for file in project.repeatables:
        recorded_rep = history.repeatables.get(file.name)
        if recorded_rep is None:
            entries.append(Entry("pending", file.name, file.kind, file))
        elif recorded_rep[0] != file.checksum:
            entries.append(Entry("changed", file.name, file.kind, file, "will be re-applied"))
        else:
            entries.append(Entry("applied", file.name, file.kind, file))
    on_disk_rep = {f.name for f in project.repeatables}
    for name in sorted(set(history.repeatables) - on_disk_rep):
        entries.append(Entry("missing", name, history.repeatables[name][1], None,
                             "file removed; its object stays until a migration drops it"))
    return Classification(entries, history.installed)


@dataclass(frozen=True)
class Plan:
    """What a migrate applies: pending migrations in order, then pending or changed repeatable files."""

    migrations: list[SqlFile]
    repeatables: list[SqlFile]


def plan(classification: Classification) -> Plan:
    """The files to apply; raise MigrationError naming the first file that makes migrate refuse."""
    refusals = classification.refusals
    if refusals:
        raise MigrationError(refusals[0])
    todo = [e.source for e in classification.entries if e.state in ("pending", "changed") and e.source is not None]
    return Plan([f for f in todo if f.kind == "migration"], [f for f in todo if f.kind != "migration"])
