"""A plain reference model of assetsync, written from /work/shared/CONTRACT.md (not from the SQL in db/).

It keeps the state the contract talks about (global assets with their versions and snapshots, project
copies with their overridden fields and conflict entries) as ordinary Python data, and has one method
per operation of the public surface: the library's and the clients' INSERT / UPDATE / DELETE as the
triggers see them, the functions of the SQL API, and adding a shared column. A method either returns
what the SQL returns, or raises ModelError with the contract's SQLSTATE *before changing anything*
(a failing statement changes nothing).

Values are kept as "typed values" in their JSON shape: text as str, uuid as its canonical text, integer as
int, json as the parsed Python value (so that two json texts that are equal as jsonb are equal here, as
the contract compares a json column as jsonb). Python's == on these values is SQL's IS NOT DISTINCT FROM
(None == None). Timestamps (created_at, updated_at, last_synced_at, detected_at) are not modelled.

Where the contract is silent or ambiguous, the model follows the implementation's documented choice
(README "The rules of sync", COMMENTs) or the reading a careful PostgreSQL user would expect; each such
place is marked "AMBIGUITY" below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

# The synced fields of today's schema, in column order (the order of the columns in project_assets).
BASE_SYNCED_FIELDS: tuple[str, ...] = ("name", "asset_type", "description", "image_key_url", "visual_style_capsule_id")
BOOKKEEPING_COLUMNS: tuple[str, ...] = (
    "id",
    "owner_id",
    "project_id",
    "global_asset_id",
    "version",
    "global_version",
    "last_synced_at",
    "overridden_fields",
    "sync_conflicts",
    "created_at",
    "updated_at",
)

# SQLSTATEs of the contract.
NULL_ARGUMENT = "22004"
NOT_FOUND = "P0002"
NOT_LINKED = "55000"
BAD_VALUE = "22023"  # bad field name or keyword; a client write of a library-owned column
NOT_A_SYNCED_FIELD = "23514"  # a name in overridden_fields that is not a synced field

KEEP_LOCAL = "keep_local"
TAKE_GLOBAL = "take_global"

Value = Any  # str | int | dict | list | None: a typed value in its JSON shape


class ModelError(Exception):
    """What the database must raise: its SQLSTATE (the message is for humans)."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(f"{sqlstate}: {message}")
        self.sqlstate = sqlstate


class _Keep:
    """Sentinel: an UPDATE that does not assign global_asset_id."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class Version:
    """One row of global_asset_versions."""

    snapshot: dict[str, Value]  # every synced field at that version (NULL as JSON null), keyed by name
    changed_fields: tuple[str, ...]  # in column order (AMBIGUITY: the contract fixes no order)


@dataclass
class GlobalAsset:
    id: str
    fields: dict[str, Value]
    version: int = 1
    versions: dict[int, Version] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """One entry of project_assets.sync_conflicts (detected_at is not modelled)."""

    base: Value
    local: Value
    global_: Value
    global_version: int


@dataclass
class ProjectAsset:
    id: str
    project_id: str
    fields: dict[str, Value]
    global_asset_id: str | None = None
    global_version: int | None = None
    overridden_fields: list[str] = field(default_factory=list)  # an ordered set: no duplicates
    sync_conflicts: dict[str, Conflict] = field(default_factory=dict)

    def override(self, name: str) -> None:
        if name not in self.overridden_fields:
            self.overridden_fields.append(name)

    def unoverride(self, name: str) -> None:
        if name in self.overridden_fields:
            self.overridden_fields.remove(name)


@dataclass(frozen=True)
class DiffRow:
    """One row of project_asset_diff()."""

    field: str
    local_value: Value
    global_value: Value
    base_value: Value
    overridden: bool
    state: str


@dataclass(frozen=True)
class StatusRow:
    """One row of the view project_asset_sync_status (overridden and conflict fields as sets)."""

    project_id: str
    global_asset_id: str | None
    global_version: int | None
    latest_version: int | None
    versions_behind: int | None
    overridden_fields: frozenset[str]
    conflict_fields: frozenset[str]
    state: str


Row = TypeVar("Row")


def _found(rows: dict[str, Row], row_id: str | None, what: str) -> Row:
    """The row of that id: 22004 for a NULL id, P0002 for an unknown one (as the functions do)."""
    if row_id is None:
        raise ModelError(NULL_ARGUMENT, f"{what} id is null")
    found = rows.get(row_id)
    if found is None:
        raise ModelError(NOT_FOUND, f"{what} {row_id} not found")
    return found


class Model:
    def __init__(self) -> None:
        self.synced_fields: list[str] = list(BASE_SYNCED_FIELDS)
        self.projects: list[str] = []
        self.globals: dict[str, GlobalAsset] = {}
        self.assets: dict[str, ProjectAsset] = {}

    # ----------------------------------------------------------------------------- helpers

    def _fields_from(self, values: dict[str, Value]) -> dict[str, Value]:
        """A full row of synced fields: the given values, NULL for the others (no column defaults)."""
        unknown = [name for name in values if name not in self.synced_fields]
        assert not unknown, f"the model only writes synced fields, not {unknown}"
        return {name: values.get(name) for name in self.synced_fields}

    def _global(self, global_asset_id: str | None) -> GlobalAsset:
        return _found(self.globals, global_asset_id, "global asset")

    def _asset(self, project_asset_id: str | None) -> ProjectAsset:
        return _found(self.assets, project_asset_id, "project asset")

    def _linked(self, asset: ProjectAsset) -> GlobalAsset:
        if asset.global_asset_id is None:
            raise ModelError(NOT_LINKED, f"project asset {asset.id} is not linked")
        return self.globals[asset.global_asset_id]

    def _snapshot(self, asset: GlobalAsset) -> dict[str, Value]:
        return {name: asset.fields[name] for name in self.synced_fields}

    def _base(self, asset: ProjectAsset, remote: GlobalAsset, name: str) -> Value:
        """The field at the copy's global_version: a missing field or a missing version counts as NULL."""
        version = remote.versions.get(asset.global_version) if asset.global_version is not None else None
        return None if version is None else version.snapshot.get(name)

    def _link(self, asset: ProjectAsset, remote: GlobalAsset) -> None:
        """Linking: record the version, clear conflicts, override exactly the fields that differ."""
        asset.global_asset_id = remote.id
        asset.global_version = remote.version
        asset.sync_conflicts = {}
        asset.overridden_fields = [name for name in self.synced_fields if asset.fields[name] != remote.fields[name]]

    def _write_global(self, asset: GlobalAsset, values: dict[str, Value]) -> None:
        """An UPDATE of global_assets: a new version exactly when a synced field changes."""
        changed = [name for name in self.synced_fields if name in values and values[name] != asset.fields[name]]
        asset.fields.update(values)
        if changed:
            asset.version += 1
            asset.versions[asset.version] = Version(self._snapshot(asset), tuple(changed))

    def _revert(self, asset: ProjectAsset, remote: GlobalAsset, names: list[str]) -> list[str]:
        for name in names:
            asset.fields[name] = remote.fields[name]
            asset.unoverride(name)
            asset.sync_conflicts.pop(name, None)
        return names

    def _pull(self, asset: ProjectAsset) -> dict[str, Any]:
        """The three-way pull of one linked copy (sync_project_asset and the fan-outs)."""
        remote = self.globals[str(asset.global_asset_id)]
        from_version = asset.global_version
        updated: list[str] = []
        kept: list[str] = []
        conflicts: list[str] = []
        entries_before = set(asset.sync_conflicts)
        for name in self.synced_fields:
            local, theirs = asset.fields[name], remote.fields[name]
            if name not in asset.overridden_fields:
                if local != theirs:
                    asset.fields[name] = theirs
                    updated.append(name)
                asset.sync_conflicts.pop(name, None)
                continue
            kept.append(name)
            base = self._base(asset, remote, name)
            if local == theirs:
                # "A conflict entry stays until ... its local value equals the global's (a sync then drops
                # it)": dropped whether or not the global changed since base. AMBIGUITY: README's table row
                # "overridden / unchanged: stays as it was" does not single out local = global.
                asset.sync_conflicts.pop(name, None)
            elif theirs != base:
                asset.sync_conflicts[name] = Conflict(base, local, theirs, remote.version)
                conflicts.append(name)
            # else: overridden, the global did not change it since base: the entry stays as it was.
        asset.global_version = remote.version
        # Part 1: up_to_date when the version did not move and the call changed no field and wrote or
        # dropped no conflict entry (a sync that only drops one changed the copy: synced).
        dropped = any(name not in asset.sync_conflicts for name in entries_before)
        up_to_date = from_version == remote.version and not updated and not conflicts and not dropped
        return {
            "project_asset_id": asset.id,
            "global_asset_id": remote.id,
            "from_version": from_version,
            "to_version": remote.version,
            "status": "up_to_date" if up_to_date else "synced",
            "updated_fields": updated,
            "kept_fields": kept,
            "conflict_fields": conflicts,
            # Part 3: the model's fields are all in whole mode, so nothing ever merges.
            "merged_fields": [],
        }

    # ----------------------------------------------------------------------------- plain SQL writes

    def add_projects(self, project_ids: tuple[str, ...]) -> None:
        """INSERT INTO projects: only their ids matter here."""
        self.projects.extend(project_ids)

    def insert_global(self, global_asset_id: str, values: dict[str, Value], version: int | None = None) -> None:
        """INSERT INTO global_assets: version 1, its snapshot, changed_fields = every synced field.

        A client INSERT that gives a version other than 1 is rejected.
        """
        if version is not None and version != 1:
            raise ModelError(BAD_VALUE, f"a new global asset starts at version 1, not {version}")
        asset = GlobalAsset(global_asset_id, self._fields_from(values))
        asset.versions[1] = Version(self._snapshot(asset), tuple(self.synced_fields))
        self.globals[global_asset_id] = asset

    def update_global(self, global_asset_id: str, values: dict[str, Value]) -> None:
        """UPDATE global_assets SET ... WHERE id = ... (no row: nothing happens)."""
        asset = self.globals.get(global_asset_id)
        self._fields_from(values)  # only synced fields are written
        if asset is not None:
            self._write_global(asset, dict(values))

    def delete_global(self, global_asset_id: str) -> None:
        """DELETE FROM global_assets: the copies are detached as by a client (every value kept, see
        update_project_asset), the versions go with the asset."""
        if self.globals.pop(global_asset_id, None) is None:
            return
        for asset in self.assets.values():
            if asset.global_asset_id == global_asset_id:
                asset.global_asset_id = None

    def insert_project_asset(
        self, project_asset_id: str, project_id: str, values: dict[str, Value], global_asset_id: str | None
    ) -> None:
        """INSERT INTO project_assets: local (nothing overridden, no global_version), or linked."""
        fields = self._fields_from(values)
        remote = None
        if global_asset_id is not None:
            # "Linking or cloning a global asset the caller may not see is P0002 too" (one that does not
            # exist included), raised before the foreign key would complain.
            remote = self._global(global_asset_id)
        asset = ProjectAsset(project_asset_id, project_id, fields)
        if remote is not None:
            self._link(asset, remote)
        self.assets[project_asset_id] = asset

    def update_project_asset(
        self, project_asset_id: str, values: dict[str, Value], global_asset_id: str | _Keep | None = KEEP
    ) -> None:
        """A client's UPDATE project_assets SET <values>[, global_asset_id = ...] WHERE id = ...

        Tracking: every synced field whose value changes is added to overridden_fields. Linking (the
        UPDATE sets or changes global_asset_id) wins: overridden_fields becomes exactly the fields that then
        differ from the global, and sync_conflicts is cleared. Detaching (global_asset_id set to NULL) keeps
        values, overrides and global_version, and plain tracking applies to the fields it edits.

        AMBIGUITY: the contract does not say what detaching does to sync_conflicts. The implementation
        first cleared them; since commit b4c3c3b ("Detaching keeps sync_conflicts too") its documented
        choice (README "The rules of sync", COMMENT on project_assets.sync_conflicts) is that a detached
        copy keeps them as a record ("every value in the copy is kept"), and relinking clears them. The
        model follows that.
        """
        asset = self.assets.get(project_asset_id)
        if asset is None:
            return
        # AMBIGUITY: assigning the global_asset_id the row already has is not a (re)link: "sets or
        # changes" is read as NEW.global_asset_id IS DISTINCT FROM OLD.global_asset_id.
        linking = not isinstance(global_asset_id, _Keep) and global_asset_id is not None
        linking = linking and global_asset_id != asset.global_asset_id
        detaching = global_asset_id is None and asset.global_asset_id is not None
        remote = self._global(str(global_asset_id)) if linking else None
        changed = [name for name in self.synced_fields if name in values and values[name] != asset.fields[name]]
        asset.fields.update(values)
        if remote is not None:
            self._link(asset, remote)
            return
        for name in changed:
            asset.override(name)
        if detaching:
            asset.global_asset_id = None

    def write_overridden_fields(self, project_asset_id: str, names: list[str]) -> None:
        """A client's UPDATE project_assets SET overridden_fields = <names>: a set of synced field names."""
        asset = self.assets.get(project_asset_id)
        if asset is None:
            return
        bad = [name for name in names if name not in self.synced_fields]
        if bad:
            raise ModelError(NOT_A_SYNCED_FIELD, f"{bad[0]} is not a synced field")
        asset.overridden_fields = list(dict.fromkeys(names))

    def write_library_column(self, table: str, row_id: str) -> None:
        """A client write that changes version / global_version / last_synced_at / sync_conflicts."""
        rows: dict[str, Any] = self.globals if table == "global_assets" else self.assets
        if row_id in rows:
            raise ModelError(BAD_VALUE, f"a client may not change the library's columns of {table} {row_id}")

    def add_column(self, name: str) -> None:
        """ALTER TABLE global_assets / project_assets ADD COLUMN <name> (same type), asset_sync_refresh().

        A new synced field, last in column order, NULL everywhere; snapshots made before it lack it, so
        its base is NULL. No version is made: no row of global_assets was updated.
        """
        self.synced_fields.append(name)
        for remote in self.globals.values():
            remote.fields[name] = None
        for asset in self.assets.values():
            asset.fields[name] = None

    # ----------------------------------------------------------------------------- the SQL API
    # AMBIGUITY (order of checks when several arguments are bad; the contract is silent): the
    # implementation checks NULL arguments (22004), then the arguments themselves (a keyword, a name that
    # is not a synced field: 22023), then the ids (P0002), then "not linked" (55000), then what depends on
    # the row (a field with no conflict entry: 22023). The model follows that order.

    def clone_global_asset(self, global_asset_id: str | None, project_id: str | None, new_id: str) -> str:
        if global_asset_id is None or project_id is None:
            raise ModelError(NULL_ARGUMENT, "null argument")
        remote = self._global(global_asset_id)
        if project_id not in self.projects:
            raise ModelError(NOT_FOUND, f"project {project_id} not found")
        asset = ProjectAsset(new_id, project_id, dict(remote.fields))
        self._link(asset, remote)
        assert asset.overridden_fields == []
        self.assets[new_id] = asset
        return new_id

    def sync_project_asset(self, project_asset_id: str | None) -> dict[str, Any]:
        asset = self._asset(project_asset_id)
        self._linked(asset)
        return self._pull(asset)

    def sync_global_asset(self, global_asset_id: str | None) -> int:
        remote = self._global(global_asset_id)
        linked = [asset for asset in self.assets.values() if asset.global_asset_id == remote.id]
        for asset in linked:
            self._pull(asset)
        return len(linked)

    def sync_project(self, project_id: str | None) -> int:
        if project_id is None:
            raise ModelError(NULL_ARGUMENT, "project id is null")
        if project_id not in self.projects:
            raise ModelError(NOT_FOUND, f"project {project_id} not found")
        behind = [
            asset
            for asset in self.assets.values()
            if asset.project_id == project_id
            and asset.global_asset_id is not None
            and int(asset.global_version or 0) < self.globals[asset.global_asset_id].version
        ]
        for asset in behind:
            self._pull(asset)
        return len(behind)

    def revert_project_asset_fields(self, project_asset_id: str | None, fields: list[str] | None) -> list[str]:
        """Returns the fields reverted in column order (AMBIGUITY: the contract fixes no order; the function's
        COMMENT says column order)."""
        if project_asset_id is None:
            raise ModelError(NULL_ARGUMENT, "project asset id is null")
        for name in fields or []:
            if name not in self.synced_fields:
                raise ModelError(BAD_VALUE, f"{name} is not a synced field")
        asset = self._asset(project_asset_id)
        remote = self._linked(asset)
        chosen = asset.overridden_fields if fields is None else fields
        return self._revert(asset, remote, [name for name in self.synced_fields if name in chosen])

    def resolve_sync_conflict(self, project_asset_id: str | None, name: str | None, resolution: str | None) -> None:
        if project_asset_id is None or name is None or resolution is None:
            raise ModelError(NULL_ARGUMENT, "null argument")
        if resolution not in (KEEP_LOCAL, TAKE_GLOBAL):
            raise ModelError(BAD_VALUE, f"unknown resolution {resolution}")
        if name not in self.synced_fields:
            raise ModelError(BAD_VALUE, f"{name} is not a synced field")
        asset = self._asset(project_asset_id)
        # An unlinked copy is 55000, "a project asset that is not linked", even when (detached) it still
        # holds conflict entries as a record.
        remote = self._linked(asset)
        if name not in asset.sync_conflicts:
            raise ModelError(BAD_VALUE, f"no conflict on {name}")
        if resolution == KEEP_LOCAL:
            # AMBIGUITY: "the field stays overridden" presumes it is; when the client un-protected it since
            # the sync, the implementation (COMMENT on resolve_sync_conflict) makes it overridden again:
            # keeping the local value means protecting it from the next sync.
            del asset.sync_conflicts[name]
            asset.override(name)
        else:
            self._revert(asset, remote, [name])

    def rollback_global_asset(self, global_asset_id: str | None, version: int | None) -> int:
        if version is None:
            raise ModelError(NULL_ARGUMENT, "version is null")
        remote = self._global(global_asset_id)
        old = remote.versions.get(version)
        if old is None:
            raise ModelError(NOT_FOUND, f"version {version} of global asset {global_asset_id} not found")
        # A field missing from the old snapshot (a column added later) keeps its current value.
        self._write_global(remote, {name: old.snapshot[name] for name in self.synced_fields if name in old.snapshot})
        return remote.version

    def project_asset_diff(self, project_asset_id: str | None) -> list[DiffRow]:
        asset = self._asset(project_asset_id)
        remote = self._linked(asset)
        rows = []
        for name in self.synced_fields:
            local, theirs = asset.fields[name], remote.fields[name]
            base = self._base(asset, remote, name)
            overridden = name in asset.overridden_fields
            if name in asset.sync_conflicts or (overridden and theirs != base and theirs != local):
                state = "conflict"
            elif local == theirs:
                state = "in_sync"
            elif not overridden:
                state = "will_update"
            else:
                state = "overridden"
            rows.append(DiffRow(name, local, theirs, base, overridden, state))
        return rows

    def sync_status(self) -> dict[str, StatusRow]:
        """The view project_asset_sync_status, by project asset id."""
        rows = {}
        for asset in self.assets.values():
            latest: int | None = None
            behind: int | None = None
            if asset.global_asset_id is None:
                state = "local" if asset.global_version is None else "detached"
            else:
                latest = self.globals[asset.global_asset_id].version
                behind = latest - int(asset.global_version or 0)
                state = "conflict" if asset.sync_conflicts else "behind" if behind > 0 else "up_to_date"
            rows[asset.id] = StatusRow(
                asset.project_id,
                asset.global_asset_id,
                asset.global_version,
                latest,
                behind,
                frozenset(asset.overridden_fields),
                frozenset(asset.sync_conflicts),
                state,
            )
        return rows
