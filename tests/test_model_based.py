"""Model-based property test: random interleavings of the public surface, on the database and on the model.

A hypothesis RuleBasedStateMachine applies library edits, project edits, clone, link / relink / unlink by
UPDATE, client writes of overridden_fields, the sync functions, revert, resolve, rollback, global delete,
adding a shared column, previews and rejected writes, both to a fresh database (plain SQL, as the
superuser) and to tests/model.py. After every step the two agree on every row of global_assets,
global_asset_versions and project_assets, on the view project_asset_sync_status, and on what each
statement returned or the SQLSTATE it failed with.

Value domains are tiny on purpose, so that equal values, overrides and conflicts happen all the time.

Settings: ASSETSYNC_MODEL_EXAMPLES (default 200) examples of up to 30 steps; `make soak` runs thousands.
The same machine runs on the seed app's own tables (tests/sql/seed_app.sql, no rows) attached with
asset_sync_attach(), with ASSETSYNC_MODEL_ATTACHED_EXAMPLES (default 40) examples.
On a failure, the assertion message holds the exact SQL that ran, to replay in psql.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from psycopg import sql

from assetsync import runner
from model import KEEP_LOCAL, NOT_LINKED, TAKE_GLOBAL, Conflict, DiffRow, Model, ModelError, ProjectAsset, StatusRow
from pg import REPO_DB_DIR, PgServer, admin_exec, create_database, drop_database

EXAMPLES = int(os.environ.get("ASSETSYNC_MODEL_EXAMPLES", "200"))
ATTACHED_EXAMPLES = int(os.environ.get("ASSETSYNC_MODEL_ATTACHED_EXAMPLES", "40"))
STEPS = int(os.environ.get("ASSETSYNC_MODEL_STEPS", "30"))

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
UNKNOWN = "ffffffff-ffff-4fff-8fff-ffffffffffff"  # an id that never exists
PROJECTS = ("b0000000-0000-4000-8000-000000000001", "b0000000-0000-4000-8000-000000000002")

# The raw values a step writes, per field (what goes into the SQL; json as its text).
VALUES: dict[str, list[Any]] = {
    "name": ["John", "Jane"],
    "asset_type": ["character", "prop"],
    "description": ["clean suit", "torn suit", "grey suit", None],
    "image_key_url": ["a.png", "b.png", None],
    "visual_style_capsule_id": [U1, U2, None],
    # Columns the machine may add to both tables, in this order (typed comparison; json compared as jsonb).
    "mood": ["calm", "angry", None],
    "meta": ['{"a": 1, "b": 2}', '{"b":2,  "a":1}', "[1, 2]", None],
    "rank": [1, 2, None],
}
EXTRA_COLUMNS = (("mood", "text"), ("meta", "json"), ("rank", "integer"))
JSON_FIELDS = {"meta"}
ALL_FIELDS = list(VALUES)
BAD_NAMES = ["id", "global_version", "nope", "description; drop table projects"]
MAX_GLOBALS = 2
MAX_ASSETS = 4
NULL_PICK, UNKNOWN_PICK = 14, 15  # the index values that stand for NULL and for an unknown id

Outcome = tuple[str, Any]  # ("ok", value) or ("error", sqlstate)


# Edits favour a few fields, so that the library and a project often change the same one (conflicts).
EDITED_FIELDS = ["description", "image_key_url", "description", "visual_style_capsule_id", *ALL_FIELDS]


def some_values(min_size: int) -> st.SearchStrategy[dict[str, Any]]:
    """A few fields (also not-yet-added ones, dropped at run time) with values from their small domains."""
    return st.lists(st.sampled_from(EDITED_FIELDS), min_size=min_size, max_size=3, unique=True).flatmap(
        lambda names: st.tuples(*(st.sampled_from(VALUES[n]) for n in names)).map(
            lambda values: dict(zip(names, values, strict=True))
        )
    )


new_row_values = st.fixed_dictionaries(
    {"name": st.sampled_from(VALUES["name"]), "asset_type": st.sampled_from(VALUES["asset_type"])},
    optional={name: st.sampled_from(VALUES[name]) for name in ALL_FIELDS[2:]},
)
picks = st.integers(0, UNKNOWN_PICK)  # an existing row, or NULL, or an unknown id
link_targets = st.integers(0, NULL_PICK)  # an existing global, or (NULL_PICK) an unknown id
field_lists = st.one_of(
    st.none(),
    st.lists(st.sampled_from(ALL_FIELDS), max_size=3, unique=True),
    st.lists(st.sampled_from(ALL_FIELDS + BAD_NAMES), min_size=1, max_size=3, unique=True),
)


class DatabasePool:
    """Fresh databases cloned from the migrated template, one per example, made ahead of time.

    CREATE DATABASE costs a few hundred ms; a background thread creates (and connects to) the next
    example's database while the current example runs, and drops finished ones, so examples do not wait.
    """

    AHEAD = 2

    def __init__(
        self, server: PgServer, template: str, examples: int = EXAMPLES, project_name_column: str = "name"
    ) -> None:
        self.server, self.template, self.examples = server, template, examples
        self.project_name_column = project_name_column  # the seed app calls it title
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-db")
        self.ready: deque[Future[tuple[str, psycopg.Connection[Any]]]] = deque()

    def _create(self) -> tuple[str, psycopg.Connection[Any]]:
        name = create_database(self.server, self.template)
        return name, psycopg.connect(self.server.url(name), autocommit=True, prepare_threshold=None)

    def take(self) -> tuple[str, psycopg.Connection[Any]]:
        while len(self.ready) <= self.AHEAD:
            self.ready.append(self.executor.submit(self._create))
        return self.ready.popleft().result()

    def give_back(self, name: str, conn: psycopg.Connection[Any]) -> None:
        conn.close()
        self.executor.submit(drop_database, self.server, name)

    def close(self) -> None:
        while self.ready:
            self.give_back(*self.ready.popleft().result())
        self.executor.shutdown(wait=True)


POOL: list[DatabasePool] = []  # set by the machine_env fixture for the machine (no fixtures inside examples)
STATS: Counter[str] = Counter()
COLUMN_ORDER_CHECKED: list[bool] = []


SEED_APP = Path(__file__).resolve().parent / "sql" / "seed_app.sql"
# The seed app's tables as the machine needs them: a user who owns what the machine inserts (the app's
# user_id columns get that default; the app's RLS does not apply to the owner), and the style capsules
# the machine's visual_style_capsule_id values reference.
SEED_APP_FIXTURE = f"""
insert into app_auth.users (id, email) values ('{U1}', 'model@example.com');
insert into public.visual_style_capsules (id, name) values ('{U1}', 'one'), ('{U2}', 'two');
alter table public.projects alter column user_id set default '{U1}';
alter table public.global_assets alter column user_id set default '{U1}';
"""


@contextlib.contextmanager
def attached_seed_app_template(server: PgServer) -> Iterator[str]:
    """A template database: tests/sql/seed_app.sql with no rows, attached as `migrate --attach` does."""
    name = create_database(server)
    try:
        with psycopg.connect(server.url(name), autocommit=True) as conn:
            conn.execute(SEED_APP.read_text() + SEED_APP_FIXTURE)  # type: ignore[arg-type]
        attach = runner.Attach("public.global_assets", "public.project_assets")
        runner.migrate(server.url(name), REPO_DB_DIR, attach=attach)
        admin_exec(server, sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
        yield name
    finally:
        admin_exec(server, sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
        drop_database(server, name)


@pytest.fixture(scope="module", params=["assetsync's tables", "the seed app's tables attached"])
def machine_env(request: pytest.FixtureRequest, pg_server: PgServer, template_db: str) -> Iterator[DatabasePool]:
    """Hands the session's server and a migrated template to the state machine, as a pool of fresh databases:
    assetsync's own tables, or the seed app's attached."""
    with contextlib.ExitStack() as stack:
        if request.param == "assetsync's tables":
            pool = DatabasePool(pg_server, template_db)
        else:
            template = stack.enter_context(attached_seed_app_template(pg_server))
            pool = DatabasePool(pg_server, template, ATTACHED_EXAMPLES, "title")
        POOL.append(pool)
        try:
            yield pool
        finally:
            POOL.remove(pool)
            pool.close()


def norm(value: Any) -> Any:
    """A value read from the database in the model's shape (uuid as text)."""
    return str(value) if isinstance(value, UUID) else value


def model_value(name: str, raw: Any) -> Any:
    return json.loads(raw) if name in JSON_FIELDS and raw is not None else raw


def ident_list(names: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


class AssetSyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert POOL, "the machine needs the machine_env fixture"
        self.pool = POOL[0]
        self.dbname, self.conn = self.pool.take()
        self.model = Model()
        self.log: list[str] = []
        self.counter = 0
        self.conflicts_seen: set[tuple[str, str, str]] = set()
        # The journal: for each change that was the only one its step wrote for its copy, the model's copy
        # before and after the step, so that an undo of it can be checked against the model.
        self.journal_seen = 0
        self.undoable: dict[int, tuple[str, ProjectAsset, ProjectAsset]] = {}
        STATS["examples"] += 1
        self.apply(
            "insert projects",
            sql.SQL("insert into projects (id, {}) values ({}, 'P1'), ({}, 'P2')").format(
                sql.Identifier(self.pool.project_name_column), *PROJECTS
            ),
            lambda: self.model.add_projects(PROJECTS),
        )
        if not COLUMN_ORDER_CHECKED:
            # The model's column order is the contract's list; the database must have the same.
            rows = self.conn.execute(
                "select attname::text from pg_attribute where attrelid = 'public.project_assets'::regclass"
                " and attnum > 0 and not attisdropped and attname = any(%s) order by attnum",
                [self.model.synced_fields],
            ).fetchall()
            assert [r[0] for r in rows] == self.model.synced_fields
            COLUMN_ORDER_CHECKED.append(True)

    def teardown(self) -> None:
        self.pool.give_back(self.dbname, self.conn)

    # ----------------------------------------------------------------------------- plumbing

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}0000000-0000-4000-8000-{self.counter:012d}"

    def db(self, statement: sql.Composable) -> Outcome:
        """Run one statement (logged as the literal SQL that ran); its rows, or the SQLSTATE it failed with."""
        text = statement.as_string(self.conn)
        self.log.append(text + ";")
        try:
            cursor = self.conn.execute(text)
        except psycopg.Error as error:
            self.log.append(f"-- ERROR {error.sqlstate}: {error.diag.message_primary}")
            return ("error", error.sqlstate)
        return ("ok", cursor.fetchall() if cursor.description else None)

    def apply(
        self,
        op: str,
        statement: sql.Composable,
        model_call: Callable[[], Any],
        result: Callable[[Any], Any] = lambda rows: None,
    ) -> Outcome:
        """Run a statement on the database and the operation on the model; they must agree."""
        STATS["steps"] += 1
        STATS[f"op {op}"] += 1
        assets_before = copy.deepcopy(self.model.assets)
        got = self.db(statement)
        if got[0] == "ok":
            got = ("ok", result(got[1]))
        try:
            expected: Outcome = ("ok", model_call())
        except ModelError as error:
            expected = ("error", error.sqlstate)
        if expected[0] == "error":
            STATS[f"rejected {expected[1]}"] += 1
            STATS[f"op {op} rejected"] += 1
        elif isinstance(expected[1], dict):
            STATS[f"sync {expected[1]['status']}"] += 1
        self.agree(got == expected, f"{op}: database {got!r}, model {expected!r}")
        self.note_journal(assets_before)
        return got

    def note_journal(self, assets_before: dict[str, ProjectAsset]) -> None:
        """Remember the journal rows the last step wrote that an undo can be checked on (read, not logged)."""
        rows = self.conn.execute(
            "select id, project_asset_id::text from project_asset_changes where id > %s order by id",
            [self.journal_seen],
        ).fetchall()
        per_copy = Counter(copy_id for _, copy_id in rows)
        for change_id, copy_id in rows:
            self.journal_seen = max(self.journal_seen, change_id)
            if per_copy[copy_id] == 1 and copy_id in assets_before and copy_id in self.model.assets:
                self.undoable[change_id] = (
                    copy_id, copy.deepcopy(assets_before[copy_id]), copy.deepcopy(self.model.assets[copy_id])
                )

    def agree(self, ok: bool, what: str) -> None:
        if not ok:
            replay = "\n".join(self.log)
            raise AssertionError(f"{what}\n-- the SQL that ran on a fresh migrated database:\n{replay}")

    def values_now(self, values: dict[str, Any]) -> dict[str, Any]:
        """The raw values for the fields that exist now (columns not added yet are dropped)."""
        return {name: raw for name, raw in values.items() if name in self.model.synced_fields}

    def as_model(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: model_value(name, raw) for name, raw in values.items()}

    @staticmethod
    def set_list(values: dict[str, Any]) -> list[sql.Composable]:
        return [sql.SQL("{} = {}").format(sql.Identifier(name), raw) for name, raw in values.items()]

    def pick(self, ids: list[str], index: int) -> str | None:
        if index == NULL_PICK:
            return None
        if index == UNKNOWN_PICK or not ids:
            return UNKNOWN
        return ids[index % len(ids)]

    def pick_global(self, index: int) -> str | None:
        return self.pick(list(self.model.globals), index)

    def pick_asset(self, index: int) -> str | None:
        return self.pick(list(self.model.assets), index)

    def pick_link_target(self, index: int) -> str:
        """A global to link to: an existing one, or (NULL_PICK and above, or none left) an unknown id."""
        ids = list(self.model.globals)
        return UNKNOWN if index >= NULL_PICK or not ids else ids[index % len(ids)]

    # ----------------------------------------------------------------------------- library (global assets)

    @initialize(values=new_row_values)
    def start_with_a_linked_copy(self, values: dict[str, Any]) -> None:
        """Every example starts where the story does: a global asset and a clone of it in the first project."""
        self.insert_global(values)
        self.clone(0, 0)

    @precondition(lambda self: len(self.model.globals) < MAX_GLOBALS)
    @rule(values=new_row_values)
    def insert_global(self, values: dict[str, Any]) -> None:
        values = self.values_now(values)
        new_id = self.new_id("a")
        statement = sql.SQL("insert into global_assets (id, {}) values ({}, {})").format(
            ident_list(list(values)), new_id, sql.SQL(", ").join(sql.Literal(v) for v in values.values())
        )
        self.apply("insert global", statement, lambda: self.model.insert_global(new_id, self.as_model(values)))

    @precondition(lambda self: self.model.globals)
    @rule(index=st.integers(0, 7), values=some_values(1))
    def update_global(self, index: int, values: dict[str, Any]) -> None:
        values = self.values_now(values)
        global_id = self.pick_global(index)
        if not values or global_id is None:
            return
        self.update_global_values(global_id, values)

    def update_global_values(self, global_id: str, values: dict[str, Any]) -> None:
        statement = sql.SQL("update global_assets set {} where id = {}").format(
            sql.SQL(", ").join(self.set_list(values)), global_id
        )
        self.apply("update global", statement, lambda: self.model.update_global(global_id, self.as_model(values)))

    @precondition(lambda self: any(a.global_asset_id and a.overridden_fields for a in self.model.assets.values()))
    @rule(index=st.integers(0, 7), field=st.integers(0, 7), value=st.integers(0, 3))
    def library_changes_an_overridden_field(self, index: int, field: int, value: int) -> None:
        """A library edit aimed at a field some linked copy overrides, preferably to a third value: the
        next sync of that copy has a conflict to record (when the value differs from the local one)."""
        candidates = [a for a in self.model.assets.values() if a.global_asset_id and a.overridden_fields]
        asset = candidates[index % len(candidates)]
        name = asset.overridden_fields[field % len(asset.overridden_fields)]
        remote = self.model.globals[str(asset.global_asset_id)]
        choices = [v for v in VALUES[name] if model_value(name, v) not in (asset.fields[name], remote.fields[name])]
        raw = (choices or VALUES[name])[value % len(choices or VALUES[name])]
        self.update_global_values(remote.id, {name: raw})

    @precondition(lambda self: len(self.model.globals) > 1)
    @rule(index=st.integers(0, 7))
    def delete_global(self, index: int) -> None:
        global_id = self.pick_global(index)
        assert global_id is not None
        statement = sql.SQL("delete from global_assets where id = {}").format(global_id)
        self.apply("delete global", statement, lambda: self.model.delete_global(global_id))

    @precondition(lambda self: len(self.model.synced_fields) < len(ALL_FIELDS))
    @rule()
    def add_shared_column(self) -> None:
        name, type_name = EXTRA_COLUMNS[len(self.model.synced_fields) - len(ALL_FIELDS) + len(EXTRA_COLUMNS)]
        for table in ("global_assets", "project_assets"):
            statement = sql.SQL("alter table {} add column {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(type_name)
            )
            self.agree(self.db(statement) == ("ok", None), f"adding column {name} to {table} failed")
        self.apply("add column", sql.SQL("select asset_sync_refresh()"), lambda: self.model.add_column(name))

    # ----------------------------------------------------------------------------- project copies by plain SQL

    @precondition(lambda self: len(self.model.assets) < MAX_ASSETS)
    @rule(project=st.integers(0, 1), values=new_row_values, link=st.none() | link_targets)
    def insert_project_asset(self, project: int, values: dict[str, Any], link: int | None) -> None:
        values = self.values_now(values)
        new_id, project_id = self.new_id("c"), PROJECTS[project]
        global_id = None if link is None else self.pick_link_target(link)
        statement = sql.SQL("insert into project_assets (id, project_id, global_asset_id, {}) values ({})").format(
            ident_list(list(values)),
            sql.SQL(", ").join(sql.Literal(v) for v in [new_id, project_id, global_id, *values.values()]),
        )
        self.apply(
            "insert project asset",
            statement,
            lambda: self.model.insert_project_asset(new_id, project_id, self.as_model(values), global_id),
        )

    @precondition(lambda self: self.model.assets)
    @rule(index=st.integers(0, 7), values=some_values(1))
    def edit_project_asset(self, index: int, values: dict[str, Any]) -> None:
        values = self.values_now(values)
        asset_id = self.pick_asset(index)
        if values and asset_id is not None:
            self.edit_values(asset_id, values)

    def edit_values(self, asset_id: str, values: dict[str, Any]) -> None:
        statement = sql.SQL("update project_assets set {} where id = {}").format(
            sql.SQL(", ").join(self.set_list(values)), asset_id
        )
        self.apply(
            "edit project asset", statement, lambda: self.model.update_project_asset(asset_id, self.as_model(values))
        )

    @precondition(lambda self: self.model.assets)
    @rule(index=st.integers(0, 7), link=st.none() | link_targets, values=some_values(0))
    def link_or_unlink_by_update(self, index: int, link: int | None, values: dict[str, Any]) -> None:
        """UPDATE project_assets SET global_asset_id = <a global, an unknown id, or NULL>[, edits]."""
        values = self.values_now(values)
        asset_id = self.pick_asset(index)
        global_id = None if link is None else self.pick_link_target(link)
        assert asset_id is not None
        statement = sql.SQL("update project_assets set {} where id = {}").format(
            sql.SQL(", ").join([sql.SQL("global_asset_id = {}").format(global_id), *self.set_list(values)]), asset_id
        )
        self.apply(
            "unlink by update" if link is None else "link by update",
            statement,
            lambda: self.model.update_project_asset(asset_id, self.as_model(values), global_id),
        )

    @precondition(lambda self: self.model.assets)
    @rule(
        index=st.integers(0, 7),
        unprotect=st.sampled_from(ALL_FIELDS[:5]) | st.none(),
        names=st.lists(st.sampled_from(ALL_FIELDS), max_size=4) | st.lists(st.sampled_from(ALL_FIELDS + BAD_NAMES)),
    )
    def write_overridden_fields(self, index: int, unprotect: str | None, names: list[str]) -> None:
        """A client un-protects one field (array_remove), or writes the whole array (duplicates, bad names)."""
        asset_id = self.pick_asset(index)
        assert asset_id is not None
        if unprotect is not None:
            remaining = [n for n in self.model.assets[asset_id].overridden_fields if n != unprotect]
            statement = sql.SQL(
                "update project_assets set overridden_fields = array_remove(overridden_fields, {}) where id = {}"
            ).format(unprotect, asset_id)
            self.apply("unprotect field", statement, lambda: self.model.write_overridden_fields(asset_id, remaining))
            return
        statement = sql.SQL("update project_assets set overridden_fields = {}::text[] where id = {}").format(
            names, asset_id
        )
        self.apply("write overridden_fields", statement, lambda: self.model.write_overridden_fields(asset_id, names))

    @rule(
        kind=st.sampled_from(["version", "insert version 2", "global_version", "last_synced_at", "sync_conflicts"]),
        index=st.integers(0, 7),
    )
    def write_library_column(self, kind: str, index: int) -> None:
        if kind == "insert version 2":
            new_id = self.new_id("a")
            statement = sql.SQL(
                "insert into global_assets (id, name, asset_type, version) values ({}, 'X', 'prop', 2)"
            ).format(new_id)
            self.apply(
                kind, statement, lambda: self.model.insert_global(new_id, {"name": "X", "asset_type": "prop"}, 2)
            )
            return
        if kind == "version":
            global_id = self.pick_global(index) or UNKNOWN
            statement = sql.SQL("update global_assets set version = version + 1 where id = {}").format(global_id)
            self.apply(kind, statement, lambda: self.model.write_library_column("global_assets", global_id))
            return
        change = {
            "global_version": "global_version = coalesce(global_version, 0) + 1",
            "last_synced_at": "last_synced_at = coalesce(last_synced_at, now()) + interval '1 second'",
            "sync_conflicts": """sync_conflicts = '{"description": {"base": null}}'""",
        }[kind]
        asset_id = self.pick_asset(index) or UNKNOWN
        statement = sql.SQL("update project_assets set {} where id = {}").format(sql.SQL(change), asset_id)
        self.apply(kind, statement, lambda: self.model.write_library_column("project_assets", asset_id))

    # ----------------------------------------------------------------------------- the SQL API

    @precondition(lambda self: len(self.model.assets) < MAX_ASSETS)
    @rule(index=picks, project=picks)
    def clone(self, index: int, project: int) -> None:
        global_id = self.pick_global(index)
        project_id = self.pick(list(PROJECTS), project)
        statement = sql.SQL("select clone_global_asset({}::uuid, {}::uuid)").format(global_id, project_id)
        returned: list[str] = []

        def new_id(rows: Any) -> str:
            # The new id is the database's: log it, and hand it to the model, which returns it back.
            returned.append(str(rows[0][0]))
            self.log.append(f"-- returned {returned[0]}")
            return returned[0]

        self.apply(
            "clone_global_asset",
            statement,
            lambda: self.model.clone_global_asset(global_id, project_id, returned[0] if returned else "(none)"),
            new_id,
        )

    @precondition(lambda self: any(a.global_asset_id for a in self.model.assets.values()))
    @rule(
        index=st.integers(0, 7),
        field=st.sampled_from(EDITED_FIELDS),
        local=st.integers(0, 3),
        remote=st.integers(0, 3),
        sync=st.sampled_from(["sync_project_asset", "sync_global_asset", "sync_project"]),
    )
    def the_story(self, index: int, field: str, local: int, remote: int, sync: str) -> None:
        """The contract's story in three checked steps: a project edits a field of a linked copy, the library
        changes the same field, then a sync (single, fan-out or project-wide) pulls, usually into a conflict."""
        linked = [a for a in self.model.assets.values() if a.global_asset_id]
        asset = linked[index % len(linked)]
        if field not in self.model.synced_fields:
            field = "description"
        domain = VALUES[field]
        self.edit_values(asset.id, {field: domain[local % len(domain)]})
        self.database_equals_model()
        global_id = str(asset.global_asset_id)
        self.update_global_values(global_id, {field: domain[remote % len(domain)]})
        self.database_equals_model()
        if sync == "sync_project_asset":
            self.call_sync_project_asset(asset.id)
        elif sync == "sync_global_asset":
            self.call_sync_global_asset(global_id)
        else:
            self.call_sync_project(asset.project_id)

    @precondition(lambda self: self.model.assets)
    @rule(index=picks)
    def sync_project_asset(self, index: int) -> None:
        self.call_sync_project_asset(self.pick_asset(index))

    def call_sync_project_asset(self, asset_id: str | None) -> None:
        self.apply(
            "sync_project_asset",
            sql.SQL("select sync_project_asset({}::uuid)").format(asset_id),
            lambda: self.model.sync_project_asset(asset_id),
            lambda rows: rows[0][0],
        )

    @precondition(lambda self: self.model.globals)
    @rule(index=picks)
    def sync_global_asset(self, index: int) -> None:
        self.call_sync_global_asset(self.pick_global(index))

    def call_sync_global_asset(self, global_id: str | None) -> None:
        self.apply(
            "sync_global_asset",
            sql.SQL("select sync_global_asset({}::uuid)").format(global_id),
            lambda: self.model.sync_global_asset(global_id),
            lambda rows: rows[0][0],
        )

    @rule(project=picks)
    def sync_project(self, project: int) -> None:
        self.call_sync_project(self.pick(list(PROJECTS), project))

    def call_sync_project(self, project_id: str | None) -> None:
        self.apply(
            "sync_project",
            sql.SQL("select sync_project({}::uuid)").format(project_id),
            lambda: self.model.sync_project(project_id),
            lambda rows: rows[0][0],
        )

    @precondition(lambda self: self.model.assets)
    @rule(index=picks, fields=field_lists)
    def revert(self, index: int, fields: list[str] | None) -> None:
        asset_id = self.pick_asset(index)
        self.apply(
            "revert" + (" all" if fields is None else ""),
            sql.SQL("select revert_project_asset_fields({}::uuid, {}::text[])").format(asset_id, fields),
            lambda: self.model.revert_project_asset_fields(asset_id, fields),
            lambda rows: rows[0][0],
        )

    @precondition(lambda self: self.model.assets)
    @rule(
        index=picks,
        field=st.integers(0, 15),
        from_conflicts=st.booleans(),
        resolution=st.sampled_from([KEEP_LOCAL, TAKE_GLOBAL, KEEP_LOCAL, TAKE_GLOBAL, "Keep_Local", None]),
    )
    def resolve(self, index: int, field: int, from_conflicts: bool, resolution: str | None) -> None:
        """from_conflicts: aim at a row that has conflict entries (when one has) and at one of its entries."""
        in_conflict = [a.id for a in self.model.assets.values() if a.sync_conflicts]
        asset_id = self.pick(in_conflict, index) if from_conflicts and in_conflict else self.pick_asset(index)
        conflicts = sorted(self.model.assets[asset_id].sync_conflicts) if asset_id in self.model.assets else []
        names = conflicts if from_conflicts and conflicts else [*ALL_FIELDS, *BAD_NAMES, None]
        name = names[field % len(names)]
        self.apply(
            f"resolve {resolution}",
            sql.SQL("select resolve_sync_conflict({}::uuid, {}::text, {}::text)").format(asset_id, name, resolution),
            lambda: self.model.resolve_sync_conflict(asset_id, name, resolution),
            lambda rows: rows[0][0] or None,  # void comes back as ''
        )

    @precondition(lambda self: self.model.globals)
    @rule(index=picks, back=st.integers(0, 7))
    def rollback(self, index: int, back: int) -> None:
        """back 0..4: that many versions back (at least version 1); 5: version 0; 6: a future one; 7: NULL."""
        global_id = self.pick_global(index)
        current = self.model.globals[global_id].version if global_id in self.model.globals else 1
        version = max(1, current - back) if back <= 4 else {5: 0, 6: current + 1, 7: None}[back]
        self.apply(
            "rollback_global_asset",
            sql.SQL("select rollback_global_asset({}::uuid, {}::integer)").format(global_id, version),
            lambda: self.model.rollback_global_asset(global_id, version),
            lambda rows: rows[0][0],
        )

    @precondition(lambda self: self.model.assets)
    @rule(index=picks)
    def diff(self, index: int) -> None:
        asset_id = self.pick_asset(index)
        self.apply(
            "project_asset_diff",
            sql.SQL(
                "select field, local_value, global_value, base_value, overridden, state"
                " from project_asset_diff({}::uuid)"
            ).format(asset_id),
            lambda: self.model.project_asset_diff(asset_id),
            lambda rows: [DiffRow(*(norm(v) for v in row)) for row in rows],
        )

    @precondition(lambda self: self.undoable)
    @rule(index=st.integers(0, 7))
    def undo_newest_change(self, index: int) -> None:
        """Undo the newest change of a copy that is still as its step left it: the change's fields and the keys
        it moved must come back as the model had them before (an undo is journaled too, so this also redoes)."""
        newest = dict(
            self.conn.execute(
                "select project_asset_id::text, max(id) from project_asset_changes group by project_asset_id"
            ).fetchall()
        )
        candidates = [
            change_id
            for change_id, (copy_id, _before, after) in sorted(self.undoable.items())
            if newest.get(copy_id) == change_id and self.model.assets.get(copy_id) == after
        ]
        if not candidates:
            return
        change_id = candidates[index % len(candidates)]
        copy_id, before, _after = self.undoable[change_id]
        row = self.conn.execute(
            "select fields, before ? 'global_version', before ? 'global_asset_id'"
            " from project_asset_changes where id = %s",
            [change_id],
        ).fetchone()
        assert row is not None
        names, moved_version, moved_link = list(row[0]), bool(row[1]), bool(row[2])

        def model_undo() -> None:
            """The change's fields (value, override, conflict) and the keys it moved, as before the step."""
            if moved_link and before.global_asset_id is not None and before.global_asset_id not in self.model.globals:
                raise ModelError(NOT_LINKED, "undoing it would link to a global that is gone")
            asset = self.model.assets[copy_id]
            for name in names:
                asset.fields[name] = before.fields[name]
                asset.overridden_fields = [n for n in asset.overridden_fields if n != name]
                if name in before.overridden_fields:
                    asset.overridden_fields.append(name)
                asset.sync_conflicts.pop(name, None)
                if name in before.sync_conflicts:
                    asset.sync_conflicts[name] = before.sync_conflicts[name]
            if moved_version:
                asset.global_version = before.global_version
            if moved_link:
                asset.global_asset_id = before.global_asset_id

        self.apply("undo", sql.SQL("select undo_project_asset_change({})").format(change_id), model_undo)

    # ----------------------------------------------------------------------------- after every step

    @invariant()
    def database_equals_model(self) -> None:
        """Every row of the three tables and of the status view, read in one round trip (as to_jsonb rows, so
        values come in the model's JSON shape: uuid as text, json parsed), equals the model's."""
        model = self.model
        fields = model.synced_fields
        row = self.conn.execute(
            "select"
            " (select coalesce(jsonb_agg(to_jsonb(g)), '[]') from global_assets as g),"
            " (select coalesce(jsonb_agg(to_jsonb(v)), '[]') from global_asset_versions as v),"
            " (select coalesce(jsonb_agg(to_jsonb(p)), '[]') from project_assets as p),"
            " (select coalesce(jsonb_agg(to_jsonb(s)), '[]') from project_asset_sync_status as s)"
        ).fetchone()
        assert row is not None
        globals_, versions, assets, status = row

        got_globals = {g["id"]: (g["version"], {f: g[f] for f in fields}) for g in globals_}
        want_globals = {g.id: (g.version, g.fields) for g in model.globals.values()}
        self.compare("global_assets", got_globals, want_globals)

        # A json field that was SQL NULL is left out of the snapshot and named in null_fields (a JSON null
        # there would be a value); the model keeps it as None.
        got_versions = {
            (v["global_asset_id"], v["version"]): (
                {**v["snapshot"], **dict.fromkeys(v["null_fields"])},
                v["changed_fields"],
            )
            for v in versions
        }
        want_versions = {
            (g.id, n): (v.snapshot, list(v.changed_fields))
            for g in model.globals.values()
            for n, v in g.versions.items()
        }
        self.compare("global_asset_versions", got_versions, want_versions)

        got_assets = {}
        for a in assets:
            overridden, conflicts = a["overridden_fields"], a["sync_conflicts"]
            self.agree(len(overridden) == len(set(overridden)), f"duplicates in overridden_fields of {a['id']}")
            self.agree(all("detected_at" in c for c in conflicts.values()), f"no detected_at in {conflicts}")
            got_assets[a["id"]] = (
                a["project_id"],
                a["global_asset_id"],
                a["global_version"],
                set(overridden),
                {
                    k: Conflict(c.get("base"), c.get("local"), c.get("global"), c.get("global_version"))
                    for k, c in conflicts.items()
                },
                {f: a[f] for f in fields},
            )
        want_assets = {
            a.id: (
                a.project_id,
                a.global_asset_id,
                a.global_version,
                set(a.overridden_fields),
                a.sync_conflicts,
                a.fields,
            )
            for a in model.assets.values()
        }
        self.compare("project_assets", got_assets, want_assets)
        for a in model.assets.values():
            for name, conflict in a.sync_conflicts.items():
                if (a.id, name, repr(conflict)) not in self.conflicts_seen:  # repr: json values are dicts
                    self.conflicts_seen.add((a.id, name, repr(conflict)))
                    STATS["conflicts recorded"] += 1

        got_status = {
            s["project_asset_id"]: StatusRow(
                s["project_id"],
                s["global_asset_id"],
                s["global_version"],
                s["latest_version"],
                s["versions_behind"],
                frozenset(s["overridden_fields"]),
                frozenset(s["conflict_fields"]),
                s["state"],
            )
            for s in status
        }
        self.compare("project_asset_sync_status", got_status, model.sync_status())

    def compare(self, what: str, got: dict[Any, Any], want: dict[Any, Any]) -> None:
        if got == want:
            return
        lines = [f"{what}: the database and the model disagree"]
        for key in sorted(set(got) | set(want), key=str):
            if got.get(key) != want.get(key):
                lines.append(f"  {key}:\n    database {got.get(key)!r}\n    model    {want.get(key)!r}")
        self.agree(False, "\n".join(lines))


def test_database_agrees_with_model(machine_env: DatabasePool) -> None:
    started = time.monotonic()
    STATS.clear()
    run_state_machine_as_test(
        AssetSyncMachine,
        settings=settings(
            max_examples=machine_env.examples,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # ASSETSYNC_MODEL_NO_SHRINK=1 reports the first failing example as found (shrinking can take minutes).
            phases=[Phase.explicit, Phase.generate] if os.environ.get("ASSETSYNC_MODEL_NO_SHRINK") else list(Phase),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    rejected = sum(n for key, n in STATS.items() if key.startswith("rejected"))
    ops = ", ".join(
        f"{key[3:]} {n} ({STATS[key + ' rejected']} rejected)"
        for key, n in sorted(STATS.items())
        if key.startswith("op ") and not key.endswith(" rejected")
    )
    print(
        f"\nmodel-based: {STATS['examples']} examples, {STATS['steps']} operations"
        f" ({rejected} rejected as the contract says), 0 disagreements, {time.monotonic() - started:.1f} s"
        f"\n  sync_project_asset: {STATS['sync synced']} synced, {STATS['sync up_to_date']} up to date;"
        f" {STATS['conflicts recorded']} distinct conflict entries seen\n  {ops}"
    )
