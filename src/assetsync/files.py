"""The SQL files of a db directory: where the directory is, what each file is, its text and checksum.

Lifecycle of the files under a db directory:
    migrations/NNN_what.sql   applied once each, in the order of their leading number
    functions/*.sql           re-applied (sorted by name) whenever their checksum changes
    triggers/*.sql            likewise, after the functions

The runner reads only the db directory it is given, or the copy shipped inside the package: never a
folder of the current directory (an app's own ./db/migrations must not be taken for assetsync's).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

NO_TRANSACTION_MARK = "-- assetsync: no-transaction"
UTF8_BOM = b"\xef\xbb\xbf"

Kind = Literal["migration", "function", "trigger"]
REPEATABLE_DIRS: tuple[tuple[str, Kind], ...] = (("functions", "function"), ("triggers", "trigger"))
_MIGRATION_NAME = re.compile(r"^(\d+)_[^/]*\.sql$")


class MigrationError(Exception):
    """The run refused or failed; the message is one readable line naming the file."""


def _content(path: Path) -> bytes:
    """The file's bytes without a leading UTF-8 byte order mark (psql ignores it; so do we)."""
    data = path.read_bytes()
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data


@dataclass(frozen=True)
class SqlFile:
    """One SQL file of the db directory."""

    path: Path
    name: str  # relative to the db directory, with forward slashes
    kind: Kind
    checksum: str  # sha256 of the bytes, a byte order mark excluded
    number: int | None = None

    @property
    def text(self) -> str:
        return _content(self.path).decode("utf-8")

    @property
    def no_transaction(self) -> bool:
        first = self.text.split("\n", 1)[0].strip()
        return first.lower() == NO_TRANSACTION_MARK


@dataclass(frozen=True)
class Project:
    """The SQL files of a db directory, in the order they are applied."""

    db_dir: Path
    migrations: list[SqlFile]
    repeatables: list[SqlFile]

    @property
    def files(self) -> list[SqlFile]:
        return self.migrations + self.repeatables


def _checksum(path: Path) -> str:
    return hashlib.sha256(_content(path)).hexdigest()


def shipped_db_dir() -> Path:
    """The SQL shipped in the package (assetsync/db in a wheel), or the source tree's db in an editable install."""
    shipped = Path(str(resources.files("assetsync") / "db"))
    if shipped.is_dir():
        return shipped
    source_tree = Path(__file__).resolve().parents[2] / "db"
    if (source_tree / "migrations").is_dir() and (source_tree.parent / "pyproject.toml").is_file():
        return source_tree
    raise MigrationError(f"the package ships no SQL (looked in {shipped} and {source_tree}); pass --db-dir")


def load_project(db_dir: Path) -> Project:
    """Read the db directory; refuse one without migrations/, unnumbered or duplicate-numbered migrations."""
    if not db_dir.is_dir():
        raise MigrationError(f"db directory not found: {db_dir}")
    mig_dir = db_dir / "migrations"
    if not mig_dir.is_dir():
        raise MigrationError(f"{db_dir} has no migrations/ folder: is it an assetsync db directory?")
    migrations: list[SqlFile] = []
    seen: dict[int, str] = {}
    for path in sorted(mig_dir.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        name = f"migrations/{path.name}"
        if match is None:
            raise MigrationError(f"{name}: a migration file name must start with a number (NNN_what.sql)")
        number = int(match.group(1))
        if number in seen:
            raise MigrationError(f"{name}: migration number {number} is also used by {seen[number]}")
        seen[number] = name
        migrations.append(SqlFile(path, name, "migration", _checksum(path), number))
    migrations.sort(key=lambda f: f.number or 0)
    repeatables: list[SqlFile] = []
    for sub, kind in REPEATABLE_DIRS:
        folder = db_dir / sub
        for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
            repeatables.append(SqlFile(path, f"{sub}/{path.name}", kind, _checksum(path)))
    return Project(db_dir, migrations, repeatables)
