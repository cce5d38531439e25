"""The error matrix of every function of the contract.

Each function raises, with the SQLSTATE given and a message naming the offending id or field, and changes
nothing: 22004 for a NULL argument, P0002 for an id that does not exist, 55000 for a project asset that is
not linked (local, or detached by the client or by the delete of its global), 22023 for a bad field name
or keyword. Each case is checked twice: in autocommit (nothing changed), and inside an explicit
transaction, where the failure rolled back to a savepoint leaves the transaction usable.

The tests share one migrated database and one set of rows per module (a fresh database costs ~0.4 s):
the calls under test change nothing, and the savepoint tests touch only the rows they add.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from story import GREY, TORN, john_doe
from support import Conn, clone, new_global, new_project_asset, project_asset, sync, tables_snapshot, update

MISSING = uuid4()  # an id that exists nowhere


@dataclass(frozen=True)
class World:
    project: UUID
    global_asset: UUID  # at version 3
    other_global: UUID  # at version 4: has versions this one lacks
    linked: UUID  # linked copy at v2, description overridden with an open conflict
    local: UUID  # never linked
    detached_by_client: UUID
    detached_by_delete: UUID


@dataclass(frozen=True)
class Ref:
    """A row of the world, looked up when the test runs."""

    attr: str

    def of(self, world: World) -> UUID:
        return getattr(world, self.attr)


PROJECT, GLOBAL, LINKED = Ref("project"), Ref("global_asset"), Ref("linked")
UNLINKED = (Ref("local"), Ref("detached_by_client"), Ref("detached_by_delete"))


@dataclass(frozen=True)
class Case:
    function: str
    args: tuple[Any, ...]
    sqlstate: str
    names: str | Ref  # what the error message must name: a parameter, an id, a field or a keyword

    @property
    def call(self) -> str:
        return f"select * from {self.function}({', '.join(['%s'] * len(self.args))})"

    def params(self, world: World) -> list[Any]:
        return [arg.of(world) if isinstance(arg, Ref) else arg for arg in self.args]

    def culprit(self, world: World) -> str:
        return str(self.names.of(world)) if isinstance(self.names, Ref) else self.names


def sql_literal(text: str) -> str:
    """How the functions quote a bad name or keyword in their message."""
    return "'" + text.replace("'", "''") + "'"


BAD_FIELDS = {
    "unknown": "colour",
    "bookkeeping_global_version": "global_version",
    "bookkeeping_overridden_fields": "overridden_fields",
    "bookkeeping_id": "id",
    "injection_shaped": "name; drop table projects",
    "quoted_identifier": '"name"',
    "wrong_case": "Name",
    "empty_string": "",
}
BAD_KEYWORDS = {
    "upper_case": "KEEP_LOCAL",
    "space": "keep local",
    "trailing_blank": "take_global ",
    "empty_string": "",
    "other_word": "revert",
    "injection_shaped": "keep_local'; drop table projects; --",
}
# The global is at version 3; version 4 exists, but of another global asset.
BAD_VERSIONS = {"zero": 0, "negative": -1, "future_but_another_asset_has_it": 4, "int_max": 2147483647}
MISSING_TEXT = str(MISSING)

SYNC = "sync_project_asset"
SYNC_GLOBAL = "sync_global_asset"
SYNC_PROJECT = "sync_project"
CLONE = "clone_global_asset"
REVERT = "revert_project_asset_fields"
RESOLVE = "resolve_sync_conflict"
DIFF = "project_asset_diff"
ROLLBACK = "rollback_global_asset"

CASES: dict[str, Case] = {
    "sync_project_asset-null": Case(SYNC, (None,), "22004", "p_project_asset_id"),
    "sync_project_asset-unknown": Case(SYNC, (MISSING,), "P0002", MISSING_TEXT),
    "sync_global_asset-null": Case(SYNC_GLOBAL, (None,), "22004", "p_global_asset_id"),
    "sync_global_asset-unknown": Case(SYNC_GLOBAL, (MISSING,), "P0002", MISSING_TEXT),
    "sync_global_asset-a_project_asset_id": Case(SYNC_GLOBAL, (LINKED,), "P0002", LINKED),
    "sync_project-null": Case(SYNC_PROJECT, (None,), "22004", "p_project_id"),
    "sync_project-unknown": Case(SYNC_PROJECT, (MISSING,), "P0002", MISSING_TEXT),
    "clone-null_global": Case(CLONE, (None, PROJECT), "22004", "p_global_asset_id"),
    "clone-null_project": Case(CLONE, (GLOBAL, None), "22004", "p_project_id"),
    "clone-both_null": Case(CLONE, (None, None), "22004", "must not be NULL"),
    "clone-unknown_global": Case(CLONE, (MISSING, PROJECT), "P0002", MISSING_TEXT),
    "clone-unknown_project": Case(CLONE, (GLOBAL, MISSING), "P0002", MISSING_TEXT),
    "revert-null_id": Case(REVERT, (None, None), "22004", "p_project_asset_id"),
    "revert-null_id_with_fields": Case(REVERT, (None, ["name"]), "22004", "p_project_asset_id"),
    "revert-unknown": Case(REVERT, (MISSING, None), "P0002", MISSING_TEXT),
    "revert-null_element": Case(REVERT, (LINKED, [None]), "22023", "NULL"),
    "revert-null_element_after_a_good_one": Case(REVERT, (LINKED, ["description", None]), "22023", "NULL"),
    "revert-bad_field_after_a_good_one": Case(REVERT, (LINKED, ["description", "colour"]), "22023", "'colour'"),
    "resolve-null_id": Case(RESOLVE, (None, "description", "keep_local"), "22004", "p_project_asset_id"),
    "resolve-null_field": Case(RESOLVE, (LINKED, None, "keep_local"), "22004", "p_field"),
    "resolve-null_resolution": Case(RESOLVE, (LINKED, "description", None), "22004", "p_resolution"),
    "resolve-unknown": Case(RESOLVE, (MISSING, "description", "keep_local"), "P0002", MISSING_TEXT),
    "resolve-field_without_conflict": Case(RESOLVE, (LINKED, "image_key_url", "keep_local"), "22023", "image_key_url"),
    "diff-null": Case(DIFF, (None,), "22004", "p_project_asset_id"),
    "diff-unknown": Case(DIFF, (MISSING,), "P0002", MISSING_TEXT),
    "rollback-null_id": Case(ROLLBACK, (None, 1), "22004", "p_global_asset_id"),
    "rollback-null_version": Case(ROLLBACK, (GLOBAL, None), "22004", "p_version"),
    "rollback-unknown": Case(ROLLBACK, (MISSING, 1), "P0002", MISSING_TEXT),
    **{
        f"rollback-version_{label}": Case(ROLLBACK, (GLOBAL, version), "P0002", GLOBAL)
        for label, version in BAD_VERSIONS.items()
    },
    **{
        f"revert-bad_field-{label}": Case(REVERT, (LINKED, [field]), "22023", sql_literal(field))
        for label, field in BAD_FIELDS.items()
    },
    **{
        f"resolve-bad_field-{label}": Case(RESOLVE, (LINKED, field, "take_global"), "22023", sql_literal(field))
        for label, field in BAD_FIELDS.items()
    },
    **{
        f"resolve-bad_keyword-{label}": Case(RESOLVE, (LINKED, "description", keyword), "22023", sql_literal(keyword))
        for label, keyword in BAD_KEYWORDS.items()
    },
    # The functions that need a linked project asset: 55000 for a local one and for both kinds of detached.
    **{f"sync_project_asset-{ref.attr}": Case(SYNC, (ref,), "55000", ref) for ref in UNLINKED},
    **{f"revert-{ref.attr}": Case(REVERT, (ref, None), "55000", ref) for ref in UNLINKED},
    **{f"revert-{ref.attr}-named_field": Case(REVERT, (ref, ["name"]), "55000", ref) for ref in UNLINKED},
    **{f"resolve-{ref.attr}": Case(RESOLVE, (ref, "description", "keep_local"), "55000", ref) for ref in UNLINKED},
    **{f"diff-{ref.attr}": Case(DIFF, (ref,), "55000", ref) for ref in UNLINKED},
}


@pytest.fixture(scope="module")
def world(db: Conn) -> World:
    """Built once: the calls under test change nothing (each test checks that), and the savepoint tests
    touch only the rows they add."""
    john = john_doe(db)
    project, global_id, linked = john.project, john.global_asset, john.copy
    update(db, "project_assets", linked, description=TORN)
    update(db, "global_assets", global_id, description=GREY)  # v2
    sync(db, linked)
    update(db, "global_assets", global_id, name="Johnny")  # v3
    assert set(project_asset(db, linked)["sync_conflicts"]) == {"description"}

    other_global = new_global(db, "Jane Doe")
    for description in ("one", "two", "three"):
        update(db, "global_assets", other_global, description=description)  # v4

    local = new_project_asset(db, project)
    by_client = clone(db, global_id, project)
    update(db, "project_assets", by_client, global_asset_id=None)
    doomed = new_global(db, "Doomed")
    by_delete = clone(db, doomed, project)
    db.execute("delete from global_assets where id = %s", [doomed])
    return World(project, global_id, other_global, linked, local, by_client, by_delete)


@pytest.mark.parametrize("case_name", list(CASES))
def test_fails_with_its_sqlstate_names_the_culprit_and_changes_nothing(db: Conn, world: World, case_name: str) -> None:
    case = CASES[case_name]
    before = tables_snapshot(db)
    with pytest.raises(psycopg.Error) as caught:
        db.execute(case.call, case.params(world))  # type: ignore[arg-type]
    error = caught.value
    assert error.sqlstate == case.sqlstate, f"{case_name}: {error.sqlstate} {error}"
    assert case.culprit(world) in (error.diag.message_primary or ""), f"{case_name}: {error.diag.message_primary}"
    assert tables_snapshot(db) == before


@pytest.fixture(scope="module")
def tx(shared_url: str) -> Iterator[Conn]:
    """A client that runs explicit transactions (autocommit off)."""
    with psycopg.connect(shared_url) as connection:
        yield connection


@pytest.mark.parametrize("case_name", list(CASES))
def test_failure_rolled_back_to_a_savepoint_leaves_the_transaction_usable(
    tx: Conn, db: Conn, world: World, case_name: str
) -> None:
    case = CASES[case_name]
    tx.rollback()  # start clean even if an earlier test failed half-way
    written = tx.execute("insert into projects (name) values ('before the savepoint') returning id").fetchone()
    assert written is not None
    tx.execute("savepoint before_call")
    with pytest.raises(psycopg.Error) as caught:
        tx.execute(case.call, case.params(world))  # type: ignore[arg-type]
    assert caught.value.sqlstate == case.sqlstate
    assert tx.info.transaction_status == TransactionStatus.INERROR
    tx.execute("rollback to savepoint before_call")
    assert tx.info.transaction_status == TransactionStatus.INTRANS
    cloned = tx.execute("select clone_global_asset(%s, %s)", [world.global_asset, written[0]]).fetchone()
    assert cloned is not None
    # The failed library call left no trace of its writer setting: a client edit is still tracked.
    tx.execute("update project_assets set name = 'edited after the error' where id = %s", [cloned[0]])
    tx.commit()
    assert db.execute("select count(*) from projects where id = %s", [written[0]]).fetchone() == (1,)
    row = project_asset(db, cloned[0])
    assert (row["project_id"], row["name"], row["overridden_fields"]) == (
        written[0],
        "edited after the error",
        ["name"],
    )


def test_the_matrix_covers_every_contract_function_and_sqlstate() -> None:
    sqlstates: dict[str, set[str]] = {}
    for case in CASES.values():
        sqlstates.setdefault(case.function, set()).add(case.sqlstate)
    assert sqlstates == {
        SYNC: {"22004", "P0002", "55000"},
        SYNC_GLOBAL: {"22004", "P0002"},
        SYNC_PROJECT: {"22004", "P0002"},
        CLONE: {"22004", "P0002"},
        REVERT: {"22004", "P0002", "55000", "22023"},
        RESOLVE: {"22004", "P0002", "55000", "22023"},
        DIFF: {"22004", "P0002", "55000"},
        ROLLBACK: {"22004", "P0002"},
    }
