"""Attaching to the tables an app already has (CONTRACT Part 2, issue 14).

The fixture is tests/sql/seed_app.sql with thousands of rows: the seed app before adoption, with its own
columns, NOT NULL columns, foreign keys, comments and row-level security keyed by user_id, some copies
edited and some holding app-written override names. It is attached with `assetsync migrate --attach`, as a
user would, and then used as the app's users use it: through a role that is not the owner, with the app's
privileges on its tables and `--grant-to` for assetsync's functions, `request.jwt.claims` set per
transaction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pg import PgServer, admin_exec, create_database, drop_database, throwaway_database
from story import BLACK_HAIR, BLUE, CLEAN, GREY, LOCAL_IMAGE, RED_HAIR, TORN
from support import Conn, scalar, sqlstate_of

SEED_DIR = Path(__file__).resolve().parent / "sql"
DB_DIR = Path(__file__).resolve().parents[1] / "db"
USERS = 20
ASSETS = 3000  # library rows, each with a linked copy
APP_TABLES = ("public.projects", "public.global_assets", "public.project_assets", "public.visual_style_capsules")


def user_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def project_id(n: int) -> str:
    return f"10000000-0000-4000-8000-{n:012d}"


def library_id(n: int) -> str:
    return f"20000000-0000-4000-8000-{n:012d}"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The assetsync command, as a user runs it (never the embedded server: every call names --dsn)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "assetsync", *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def attach_cli(url: str, *extra: str, library: str = "public.global_assets",
               copies: str = "public.project_assets") -> subprocess.CompletedProcess[str]:
    return cli("migrate", "--dsn", url, "--db-dir", str(DB_DIR), "--attach", library, copies, *extra)


def psql(pg_server: PgServer, url: str, script: Path, **variables: str) -> None:
    assert pg_server.bin_dir is not None
    args = [str(pg_server.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)]
    for name, value in variables.items():
        args[1:1] = ["-v", f"{name}={value}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


# What attach may change is compared through these: the catalogue of the app's schema and assetsync's, and
# every row. A refused or repeated attach leaves both as they were.
CATALOGUE = """
with ns as (select oid from pg_namespace where nspname in ('public', 'assetsync', 'app_auth'))
select coalesce(string_agg(x, E'\n' order by x), '') from (
    select 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        || ' comment=' || coalesce(col_description(c.oid, a.attnum), '') || ' acl=' || coalesce(a.attacl::text, '')
    from pg_class as c
    inner join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef as d on d.adrelid = c.oid and d.adnum = a.attnum
    where c.relnamespace in (select oid from ns)
    union all
    select 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' rls=' || c.relrowsecurity
        || ' acl=' || coalesce(c.relacl::text, '') || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
    from pg_class as c where c.relnamespace in (select oid from ns)
    union all
    select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace in (select oid from ns)
    union all
    select 'index ' || indexdef from pg_indexes where schemaname in ('public', 'assetsync', 'app_auth')
    union all
    select 'trigger ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
    union all
    select 'function ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' acl=' || coalesce(p.proacl::text, '')
        || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
    from pg_proc as p where p.pronamespace in (select oid from ns)
    union all
    select 'policy ' || polrelid::regclass || ' ' || polname || ' ' || polcmd::text || ' '
        || coalesce(pg_get_expr(polqual, polrelid), '') || ' ' || coalesce(pg_get_expr(polwithcheck, polrelid), '')
    from pg_policy
) as f (x)
"""
STORAGE = """
select string_agg(c.oid::regclass || '=' || c.relfilenode, ' ' order by c.oid::regclass::text)
from pg_class as c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
"""


def rows_fingerprint(conn: Conn, drop_keys: tuple[str, ...] = ()) -> dict[str, str]:
    """An md5 of every row of every table of the public schema (minus the named keys), by table."""
    tables = [r[0] for r in conn.execute(
        "select c.oid::regclass::text from pg_class as c "
        "where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1"
    )]
    result = {}
    for table in tables:
        result[table] = scalar(conn, sql.SQL(
            "select md5(coalesce(string_agg(r, ',' order by r), ''))"
            " from (select (to_jsonb(t) - %s::text[])::text from {} as t) as x (r)"
        ).format(sql.SQL(table)).as_string(conn), [list(drop_keys)])
    return result


def catalogue_difference(a: Conn, b: Conn) -> tuple[list[str], list[str]]:
    """The catalogue lines only a has, and those only b has."""
    lines_a, lines_b = (set(scalar(c, CATALOGUE).split("\n")) for c in (a, b))
    return sorted(lines_a - lines_b), sorted(lines_b - lines_a)


def whole_state(conn: Conn) -> tuple[str, str, dict[str, str]]:
    return scalar(conn, CATALOGUE), scalar(conn, STORAGE), rows_fingerprint(conn)


# -- the fixture: the seed app with thousands of rows, attached ------------------------------------------


@dataclass
class Attached:
    url: str
    role: str
    before_facts: dict[str, Any]


APP_FACTS = """
select jsonb_build_object(
    'relfilenodes', (select jsonb_object_agg(c.oid::regclass::text, c.relfilenode)
                     from pg_class as c where c.oid = any(%(tables)s::regclass[])),
    'acls', (select jsonb_object_agg(c.oid::regclass::text, coalesce(c.relacl::text, ''))
             from pg_class as c where c.oid = any(%(tables)s::regclass[])),
    'policies', (select jsonb_agg(polrelid::regclass || ' ' || polname || ' ' || polcmd::text || ' '
                                  || coalesce(pg_get_expr(polqual, polrelid), '') order by polname)
                 from pg_policy where polrelid = any(%(tables)s::regclass[])),
    'comment', col_description('public.project_assets'::regclass,
                               (select attnum from pg_attribute where attrelid = 'public.project_assets'::regclass
                                and attname = 'overridden_fields'))
)
"""


def app_facts(conn: Conn) -> dict[str, Any]:
    return scalar(conn, APP_FACTS, {"tables": list(APP_TABLES)})  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app_role(pg_server: PgServer) -> Iterator[str]:
    """A login-less role of the app's (not the owner): the app grants it its tables, --grant-to assetsync's."""
    role = f"attach_app_{uuid.uuid4().hex[:8]}"
    admin_exec(pg_server, sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    yield role
    admin_exec(pg_server, sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


@pytest.fixture(scope="module")
def seed_template(pg_server: PgServer, app_role: str) -> Iterator[str]:
    """A database holding the seed app with USERS users and ASSETS linked copies, before adoption."""
    name = create_database(pg_server)
    url = pg_server.url(name)
    psql(pg_server, url, SEED_DIR / "seed_app.sql")
    psql(pg_server, url, SEED_DIR / "seed_app_rows.sql", users=str(USERS), assets=str(ASSETS))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(
            "grant usage on schema app_auth to {role};"
            "grant select on app_auth.users to {role};"
            "grant select, insert, update, delete on public.projects, public.global_assets, public.project_assets,"
            " public.visual_style_capsules to {role};"
            "analyze"
        ).format(role=sql.Identifier(app_role)))
    try:
        yield name
    finally:
        drop_database(pg_server, name)


@pytest.fixture(scope="module")
def attached(pg_server: PgServer, seed_template: str, app_role: str) -> Iterator[Attached]:
    with throwaway_database(pg_server, seed_template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            before = app_facts(conn)
        done = attach_cli(url, "--grant-to", app_role)
        assert done.returncode == 0, done.stderr
        yield Attached(url, app_role, before)


@pytest.fixture
def owner(attached: Attached) -> Iterator[Conn]:
    with psycopg.connect(attached.url, autocommit=True) as conn:
        yield conn


@contextmanager
def as_user(conn: Conn, n: int) -> Iterator[Conn]:
    """One transaction as the app's user n: the app's role, request.jwt.claims naming that user."""
    with conn.transaction():
        conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": user_id(n)})])
        yield conn


@pytest.fixture
def app(attached: Attached) -> Iterator[Conn]:
    with psycopg.connect(attached.url, autocommit=True) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(attached.role)))
        yield conn


# -- what attach adds, and what it never touches -----------------------------------------------------------


def test_attach_adds_the_missing_columns_and_never_rewrites_or_touches_the_apps_objects(
    attached: Attached, owner: Conn
) -> None:
    after = app_facts(owner)
    before = attached.before_facts
    assert after["relfilenodes"] == before["relfilenodes"], "attach rewrote an app table"
    assert after["policies"] == before["policies"]
    assert after["acls"] == before["acls"], "--grant-to granted or revoked something on the app's tables"
    assert after["comment"] == "The app's own words about this column."
    added = scalar(owner, "select added_columns from assetsync.attachment")
    assert sorted((c["table"], c["column"]) for c in added if "column" in c) == [
        ("public.global_assets", "version"),
        ("public.project_assets", "global_version"),
        ("public.project_assets", "sync_conflicts"),
    ]
    # The app's nullable overridden_fields is used as it is: no NOT NULL added.
    assert scalar(owner, "select attnotnull from pg_attribute where attrelid = 'public.project_assets'::regclass"
                         " and attname = 'overridden_fields'") is False
    assert scalar(owner, "select assetsync.synced_fields()") == [
        "name", "asset_type", "description", "image_key_url", "visual_style_capsule_id"
    ]
    # The history table is made and readable through --grant-to; the app's tables get no grant from assetsync.
    assert scalar(owner, "select has_table_privilege(%s, 'public.global_asset_versions', 'select')",
                  [attached.role]) is True


def test_existing_library_rows_get_version_1_and_linked_copies_start_in_step(owner: Conn) -> None:
    assert scalar(owner, "select count(*) from global_asset_versions where version = 1") == ASSETS
    assert scalar(owner, "select count(*) from global_assets where version <> 1") == 0
    snapshot = scalar(owner, "select snapshot from global_asset_versions where global_asset_id = %s",
                      [library_id(7)])
    assert snapshot == {"name": "Asset 7", "asset_type": "location", "description": "a clean suit 7",
                        "image_key_url": "img/7", "visual_style_capsule_id": None}
    counts = owner.execute("""
        select
            count(*) filter (where c.global_version is distinct from g.version),
            count(*) filter (where c.sync_conflicts <> '{}'),
            count(*) filter (where c.last_synced_at is null)
        from project_assets as c inner join global_assets as g on g.id = c.global_asset_id
    """).fetchone()
    assert counts == (0, 0, 0)
    # Copy n: description edited when n % 10 = 0, an app-written override of image_key_url (and a stray
    # name, dropped) when n % 5 = 0.
    overrides = dict(owner.execute("""
        select substr(g.name, 7)::int % 10, array_agg(distinct array_to_string(c.overridden_fields, ','))
        from project_assets as c inner join global_assets as g on g.id = c.global_asset_id
        group by 1
    """).fetchall())
    assert overrides[0] == ["description,image_key_url"]
    assert overrides[5] == ["image_key_url"]
    assert all(overrides[k] == [""] for k in (1, 2, 3, 4, 6, 7, 8, 9))
    assert scalar(owner, "select count(*) from project_asset_sync_status where state <> 'up_to_date'") == 0


def test_attach_again_changes_nothing(attached: Attached, owner: Conn) -> None:
    before = whole_state(owner)
    done = attach_cli(attached.url, "--grant-to", attached.role)
    assert done.returncode == 0, done.stderr
    owner.execute("select asset_sync_attach('public.global_assets', 'public.project_assets', %s)",
                  [json.dumps({"link_column": "global_asset_id", "project_column": "project_id",
                               "versions_table": "global_asset_versions", "exclude": ""})])
    assert whole_state(owner) == before


# -- the John Doe story, as the app's user, on the attached pair -------------------------------------------


def test_john_doe_story_as_an_app_user(app: Conn) -> None:
    project = project_id(1)
    with as_user(app, 1):
        john = scalar(app, "insert into global_assets (user_id, name, asset_type, description, image_key_url)"
                           " values (app_auth.uid(), 'John Doe', 'character', %s, %s) returning id",
                      [CLEAN, BLACK_HAIR])
        assert scalar(app, "select version from global_assets where id = %s", [john]) == 1
        copy = scalar(app, "select clone_global_asset(%s, %s)", [john, project])
        row = app.execute("select global_version, overridden_fields, description from project_assets where id = %s",
                          [copy]).fetchone()
        assert row == (1, [], CLEAN)
    with as_user(app, 1):
        # Tracking: the copy's edit marks description; the app's own columns mark nothing.
        app.execute("update project_assets set description = %s, stage5_notes = 'lit from the left',"
                    " scene_order = 3 where id = %s", [TORN, copy])
        assert scalar(app, "select overridden_fields from project_assets where id = %s", [copy]) == ["description"]
        # Versioning: one UPDATE of the library row, one new version; extraction_data is not synced.
        app.execute("update global_assets set image_key_url = %s, description = %s where id = %s",
                    [RED_HAIR, GREY, john])
        app.execute("update global_assets set extraction_data = '{\"faces\": 1}' where id = %s", [john])
        assert scalar(app, "select version from global_assets where id = %s", [john]) == 2
        assert scalar(app, "select count(*) from global_asset_versions where global_asset_id = %s", [john]) == 2
    with as_user(app, 1):
        diff = {r[0]: r[1] for r in app.execute("select field, state from project_asset_diff(%s)", [copy])}
        assert diff == {"name": "in_sync", "asset_type": "in_sync", "description": "conflict",
                        "image_key_url": "will_update", "visual_style_capsule_id": "in_sync"}
        report = scalar(app, "select sync_project_asset(%s)", [copy])
        assert (report["status"], report["from_version"], report["to_version"]) == ("synced", 1, 2)
        assert (report["updated_fields"], report["kept_fields"], report["conflict_fields"]) == (
            ["image_key_url"], ["description"], ["description"])
        row = app.execute("select image_key_url, description, sync_conflicts from project_assets where id = %s",
                          [copy]).fetchone()
        assert row is not None
        assert row[:2] == (RED_HAIR, TORN)
        conflict = row[2]["description"]
        assert (conflict["base"], conflict["local"], conflict["global"], conflict["global_version"]) == (
            CLEAN, TORN, GREY, 2)
        status = app.execute("select state, conflict_fields, versions_behind from project_asset_sync_status"
                             " where project_asset_id = %s", [copy]).fetchone()
        assert status == ("conflict", ["description"], 0)
    with as_user(app, 1):
        app.execute("select resolve_sync_conflict(%s, 'description', 'keep_local')", [copy])
        row = app.execute("select description, overridden_fields, sync_conflicts from project_assets where id = %s",
                          [copy]).fetchone()
        assert row == (TORN, ["description"], {})
        app.execute("update global_assets set description = %s where id = %s", [BLUE, john])
        assert scalar(app, "select sync_project(%s)", [project]) == 1  # only John is behind in Film 1
        app.execute("select resolve_sync_conflict(%s, 'description', 'take_global')", [copy])
        row = app.execute("select description, overridden_fields, sync_conflicts from project_assets where id = %s",
                          [copy]).fetchone()
        assert row == (BLUE, [], {})
    with as_user(app, 1):
        app.execute("update project_assets set image_key_url = %s where id = %s", [LOCAL_IMAGE, copy])
        assert scalar(app, "select revert_project_asset_fields(%s)", [copy]) == ["image_key_url"]
        assert scalar(app, "select image_key_url from project_assets where id = %s", [copy]) == RED_HAIR
        assert scalar(app, "select rollback_global_asset(%s, 1)", [john]) == 4
        row = app.execute("select description, image_key_url from global_assets where id = %s", [john]).fetchone()
        assert row == (CLEAN, BLACK_HAIR)
        assert scalar(app, "select sync_global_asset(%s)", [john]) == 1
        row = app.execute("select description, image_key_url, global_version from project_assets where id = %s",
                          [copy]).fetchone()
        assert row == (CLEAN, BLACK_HAIR, 4)
    with as_user(app, 2):
        # Another user of the app sees none of it, under the app's own policies.
        assert sqlstate_of(app, "select sync_project_asset(%s)", [copy]) == "P0002"
        assert sqlstate_of(app, "select clone_global_asset(%s, %s)", [john, project_id(2)]) == "P0002"
        assert scalar(app, "select count(*) from global_asset_versions where global_asset_id = %s", [john]) == 0
    with as_user(app, 1):
        app.execute("delete from global_assets where id = %s", [john])
        row = app.execute("select global_asset_id, description, image_key_url, global_version from project_assets"
                          " where id = %s", [copy]).fetchone()
        assert row == (None, CLEAN, BLACK_HAIR, 4)
        assert scalar(app, "select state from project_asset_sync_status where project_asset_id = %s",
                      [copy]) == "detached"
        assert scalar(app, "select count(*) from global_asset_versions where global_asset_id = %s", [john]) == 0


def test_a_copy_linked_at_attach_syncs_a_later_library_change(app: Conn) -> None:
    # Asset 30 (user 11): description edited in the copy before attach, image_key_url overridden by the app.
    with app.transaction(force_rollback=True), as_user(app, 11):
        copy = scalar(app, "select id from project_assets where global_asset_id = %s", [library_id(30)])
        app.execute("update global_assets set description = 'library rewrite', name = 'Asset thirty',"
                    " image_key_url = 'img/new' where id = %s", [library_id(30)])
        report = scalar(app, "select sync_project_asset(%s)", [copy])
        assert (report["from_version"], report["to_version"]) == (1, 2)
        assert report["updated_fields"] == ["name"]
        assert report["kept_fields"] == ["description", "image_key_url"]
        assert report["conflict_fields"] == ["description", "image_key_url"]
        conflict = scalar(app, "select sync_conflicts -> 'description' from project_assets where id = %s", [copy])
        assert (conflict["base"], conflict["local"], conflict["global"]) == (
            "a clean suit 30", "a dirty, torn suit 30", "library rewrite")


NULL_OVERRIDES = f"""
insert into app_auth.users (id, email) values ('{user_id(1)}', 'one@example.com');
insert into public.projects (id, user_id, title) values ('{project_id(1)}', '{user_id(1)}', 'Film');
insert into public.global_assets (id, user_id, name, asset_type, description)
values ('{library_id(1)}', '{user_id(1)}', 'John Doe', 'character', '{CLEAN}');
insert into public.project_assets (project_id, global_asset_id, name, asset_type, description, overridden_fields)
values ('{project_id(1)}', '{library_id(1)}', 'John Doe', 'character', '{CLEAN}', null),
    ('{project_id(1)}', null, 'Local prop', 'prop', 'a chair', null);
"""


def test_a_null_overridden_fields_of_the_app_is_no_override_and_never_hides_an_edit(
    pg_server: PgServer, app_role: str
) -> None:
    # The seed's overridden_fields is nullable and stays so (no NOT NULL added); a NULL there made
    # `'description' = any(overridden_fields)` NULL, so an edit was never marked and the next sync overwrote it.
    with throwaway_database(pg_server) as url:
        psql(pg_server, url, SEED_DIR / "seed_app.sql")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(NULL_OVERRIDES)  # type: ignore[arg-type]
        done = attach_cli(url)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(url, autocommit=True) as conn:
            assert scalar(conn, "select count(*) from project_assets where overridden_fields is null") == 0
            assert scalar(conn, "select attnotnull from pg_attribute where attrelid = 'project_assets'::regclass"
                                " and attname = 'overridden_fields'") is False
            linked = scalar(conn, "select id from project_assets where global_asset_id is not null")
            local = scalar(conn, "select id from project_assets where global_asset_id is null")
            conn.execute("update project_assets set overridden_fields = null where id in (%s, %s)", [linked, local])
            assert conn.execute("select overridden_fields from project_assets order by name").fetchall() == [
                ([],), ([],)]
            conn.execute("update project_assets set description = %s", [TORN])
            assert conn.execute("select overridden_fields from project_assets order by name").fetchall() == [
                (["description"],), (["description"],)]
            conn.execute("update global_assets set description = %s, name = 'John' where id = %s",
                         [GREY, library_id(1)])
            report = scalar(conn, "select sync_project_asset(%s)", [linked])
            assert (report["updated_fields"], report["conflict_fields"]) == (["name"], ["description"])
            assert scalar(conn, "select description from project_assets where id = %s", [linked]) == TORN
            new = scalar(conn, "insert into project_assets (project_id, name, asset_type, overridden_fields)"
                               " values (%s, 'Lamp', 'prop', null) returning overridden_fields", [project_id(1)])
            assert new == []


# -- refusals: each changes nothing and names what to change ------------------------------------------------

REFUSAL_TABLES = """
create schema rc;
create table rc.lib_nopk (id uuid, name text);
create table rc.lib_composite (a uuid, b uuid, name text, primary key (a, b));
create table rc.lib (id uuid primary key, name text, overridden_fields text);
create table rc.copies (
    id uuid primary key, project_id uuid references public.projects (id), global_asset_id uuid, name text
);
create table rc.copies_text_link (
    id uuid primary key, project_id uuid references public.projects (id), global_asset_id text, name text
);
create table rc.copies_cascade (
    id uuid primary key, project_id uuid references public.projects (id),
    global_asset_id uuid references rc.lib (id) on delete cascade, name text
);
create table rc.copies_bad_column (
    id uuid primary key, project_id uuid references public.projects (id), global_asset_id uuid,
    name text, overridden_fields text
);
create table rc.lib_unversioned (id uuid primary key, name text, version integer);
insert into rc.lib_unversioned (id, name, version) values (gen_random_uuid(), 'no version yet', null);
create table rc.copies_no_project_fk (id uuid primary key, project_id uuid, global_asset_id uuid, name text);
"""

# (library, copies, options, SQLSTATE, words the message or hint must hold)
REFUSALS = {
    "no primary key": ("rc.lib_nopk", "rc.copies", {}, "42P16", "primary key"),
    "composite primary key": ("rc.lib_composite", "rc.copies", {}, "42P16", "primary key"),
    "link column of another type": ("rc.lib", "rc.copies_text_link", {}, "42P16", "global_asset_id"),
    "link foreign key not set null": ("rc.lib", "rc.copies_cascade", {}, "42P16", "on delete set null"),
    "bookkeeping column of the wrong type": ("rc.lib", "rc.copies_bad_column", {}, "42P16", "overridden_fields"),
    "existing version column with a NULL": ("rc.lib_unversioned", "rc.copies", {}, "42P16", "version"),
    "project column without a foreign key": ("rc.lib", "rc.copies_no_project_fk", {}, "42P16", "project_id"),
    "unknown option": ("rc.lib", "rc.copies", {"colour": "red"}, "22023", "colour"),
    "exclude names a missing column": ("rc.lib", "rc.copies", {"exclude": "mood"}, "22023", "mood"),
    "project_column names a missing column": ("rc.lib", "rc.copies", {"project_column": "scene_id"}, "22023",
                                              "scene_id"),
}


def refusal_text(error: psycopg.Error) -> str:
    return " ".join(filter(None, [error.diag.message_primary, error.diag.message_detail, error.diag.message_hint]))


@pytest.fixture(scope="module")
def unattached_with_cases(pg_server: PgServer, seed_template: str) -> Iterator[str]:
    with throwaway_database(pg_server, seed_template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(REFUSAL_TABLES)
        yield url


@pytest.fixture(scope="module")
def attached_with_cases(attached: Attached) -> str:
    with psycopg.connect(attached.url, autocommit=True) as conn:
        if scalar(conn, "select to_regnamespace('rc') is null"):
            conn.execute(REFUSAL_TABLES)
    return attached.url


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_attach_by_the_command_installs_nothing_and_prints_the_sqlstate(
    unattached_with_cases: str, case: str
) -> None:
    library, copies, options, sqlstate, words = REFUSALS[case]
    with psycopg.connect(unattached_with_cases, autocommit=True) as conn:
        before = whole_state(conn)
    flags = [arg for key, value in options.items() for arg in ("--option", f"{key}={value}")]
    done = attach_cli(unattached_with_cases, *flags, library=library, copies=copies)
    assert done.returncode != 0
    assert sqlstate in done.stderr and words.lower() in done.stderr.lower(), done.stderr
    with psycopg.connect(unattached_with_cases, autocommit=True) as conn:
        assert whole_state(conn) == before
        assert scalar(conn, "select to_regnamespace('assetsync')") is None


@pytest.mark.parametrize("case", list(REFUSALS))
def test_invalid_arguments_are_refused_when_a_pair_is_attached_too(attached_with_cases: str, case: str) -> None:
    library, copies, options, sqlstate, words = REFUSALS[case]
    with psycopg.connect(attached_with_cases, autocommit=True) as conn:
        before = whole_state(conn)
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("select asset_sync_attach(%s, %s, %s)", [library, copies, json.dumps(options)])
        assert raised.value.sqlstate == sqlstate
        assert words.lower() in refusal_text(raised.value).lower()
        assert whole_state(conn) == before


@pytest.mark.parametrize("arguments", [
    ("public.global_assets", "public.project_assets", {"exclude": "description"}),
    ("public.global_assets", "public.project_assets", {"versions_table": "history"}),
    ("rc.lib", "rc.copies", {}),
])
def test_another_pair_or_other_options_are_55000(attached_with_cases: str, arguments: tuple[Any, ...]) -> None:
    library, copies, options = arguments
    with psycopg.connect(attached_with_cases, autocommit=True) as conn:
        before = whole_state(conn)
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("select asset_sync_attach(%s, %s, %s)", [library, copies, json.dumps(options)])
        assert raised.value.sqlstate == "55000"
        assert "uninstall" in refusal_text(raised.value)
        assert whole_state(conn) == before
    flags = [arg for key, value in options.items() for arg in ("--option", f"{key}={value}")]
    done = attach_cli(attached_with_cases, *flags, library=library, copies=copies)
    assert done.returncode != 0 and "55000" in done.stderr, done.stderr


# -- other names, a bigint identity key, the options --------------------------------------------------------

OTHER_NAMES = """
create schema studio;
create table studio.scenes (id bigint generated always as identity primary key, title text not null);
create table studio.library_items (
    id bigint generated always as identity primary key,
    title text not null,
    body text,
    secret text,
    created_at timestamptz not null default now()
);
create table studio.scene_props (
    id bigint generated always as identity primary key,
    scene_id bigint not null references studio.scenes (id) on delete cascade,
    title text not null,
    body text,
    secret text,
    created_at timestamptz not null default now()
);
insert into studio.scenes (title) values ('Opening');
insert into studio.library_items (title, body, secret)
select 'Item ' || i, 'body ' || i, 's' from generate_series(1, 50) as i;
insert into studio.scene_props (scene_id, title, body) values (1, 'A prop of the scene''s own', null);
"""


def test_other_names_and_a_bigint_identity_key(empty_db_url: str) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(OTHER_NAMES)
    done = attach_cli(
        empty_db_url, "--option", "link_column=item_id", "--option", "project_column=scene_id",
        "--option", "versions_table=library_item_history", "--option", "exclude=secret",
        library="studio.library_items", copies="studio.scene_props",
    )
    assert done.returncode == 0, done.stderr
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        signatures = {r[0] for r in conn.execute(
            "select p.oid::regprocedure::text from pg_proc as p where p.pronamespace = 'public'::regnamespace")}
        assert {"sync_project_asset(bigint)", "sync_global_asset(bigint)", "sync_project(bigint)",
                "clone_global_asset(bigint,bigint)", "rollback_global_asset(bigint,integer)",
                "project_asset_diff(bigint)", "revert_project_asset_fields(bigint,text[])",
                "resolve_sync_conflict(bigint,text,text)"} <= signatures
        assert not any("uuid" in s for s in signatures)
        assert scalar(conn, "select format_type(atttypid, atttypmod) from pg_attribute"
                            " where attrelid = 'studio.scene_props'::regclass and attname = 'item_id'") == "bigint"
        assert scalar(conn, "select count(*) from studio.library_item_history") == 50
        assert scalar(conn, "select to_regclass('studio.global_asset_versions')") is None
        assert scalar(conn, "select assetsync.synced_fields()") == ["title", "body"]
        copy = scalar(conn, "select clone_global_asset(3, 1)")
        assert isinstance(copy, int)
        conn.execute("update studio.scene_props set body = 'local', secret = 'mine' where id = %s", [copy])
        assert scalar(conn, "select overridden_fields from studio.scene_props where id = %s", [copy]) == ["body"]
        conn.execute("update studio.library_items set title = 'Renamed', body = 'new', secret = 'x' where id = 3")
        report = scalar(conn, "select sync_project_asset(%s)", [copy])
        assert (report["updated_fields"], report["conflict_fields"]) == (["title"], ["body"])
        assert scalar(conn, "select sync_project(1)") == 0
        status = conn.execute("select project_asset_id, global_asset_id, state from project_asset_sync_status"
                              " order by project_asset_id").fetchall()
        assert status == [(1, None, "local"), (copy, 3, "conflict")]
        conn.execute("delete from studio.library_items where id = 3")
        assert scalar(conn, "select item_id from studio.scene_props where id = %s", [copy]) is None


# -- uninstall and attach again; the bundle ------------------------------------------------------------------

ADDED = ("global_assets.version", "project_assets.global_version", "project_assets.sync_conflicts")
COLUMNS = """
select array_agg(attrelid::regclass || '.' || attname order by 1)
from pg_attribute
where attrelid in ('public.global_assets'::regclass, 'public.project_assets'::regclass) and attnum > 0
    and not attisdropped
"""


def test_uninstall_keeps_the_apps_tables_drop_columns_drops_the_added_ones_and_attach_works_again(
    pg_server: PgServer, seed_template: str
) -> None:
    with throwaway_database(pg_server, seed_template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            app_columns = scalar(conn, COLUMNS)
            rows_before = rows_fingerprint(conn)
            catalogue_before = scalar(conn, CATALOGUE)
        assert attach_cli(url).returncode == 0
        done = cli("uninstall", "--dsn", url, "--db-dir", str(DB_DIR), "--drop-columns")
        assert done.returncode == 0, done.stderr
        with psycopg.connect(url, autocommit=True) as conn:
            assert scalar(conn, COLUMNS) == app_columns
            # Every check, index and column comment attach added is gone; the app's own comment stays.
            assert scalar(conn, CATALOGUE) == catalogue_before
            assert scalar(conn, "select to_regnamespace('assetsync')") is None
            assert scalar(conn, "select count(*) from pg_trigger where tgrelid = 'public.project_assets'::regclass"
                                " and not tgisinternal") == 0
            # The rows are the app's; only the attach's start in step (stray names dropped) stays.
            assert scalar(conn, "select count(*) from project_assets") == ASSETS
            assert rows_fingerprint(conn)["global_assets"] == rows_before["global_assets"]
        assert attach_cli(url).returncode == 0
        done = cli("uninstall", "--dsn", url, "--db-dir", str(DB_DIR))
        assert done.returncode == 0, done.stderr
        with psycopg.connect(url, autocommit=True) as conn:
            columns = scalar(conn, COLUMNS)
            assert all(c in columns for c in ADDED)
            assert scalar(conn, "select to_regclass('public.global_asset_versions')") is None
            # Only the kept columns differ from what the app had: no comment, check or index of assetsync's.
            lines_before = set(catalogue_before.split("\n"))
            extra = sorted(
                line for line in set(scalar(conn, CATALOGUE).split("\n")) - lines_before
                if not line.endswith("NOT NULL version")  # PostgreSQL 18 lists the kept column's NOT NULL
            )
            assert [line.split(" ")[1] for line in extra] == sorted(ADDED), extra
            assert all("comment= " in line for line in extra)
            assert lines_before <= set(scalar(conn, CATALOGUE).split("\n"))
        done = attach_cli(url)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(url, autocommit=True) as conn:
            assert scalar(conn, "select count(*) from project_asset_sync_status where state = 'up_to_date'") == ASSETS
            # The columns a plain uninstall kept are the app's now: this attach added none.
            added = scalar(conn, "select added_columns from assetsync.attachment")
            assert [c for c in added if "column" in c] == []


def test_bundle_attach_applied_with_psql_gives_what_migrate_attach_gives_and_twice_changes_nothing(
    pg_server: PgServer, seed_template: str, tmp_path: Path
) -> None:
    script = tmp_path / "attach.sql"
    done = cli("bundle", "--db-dir", str(DB_DIR), "--attach", "public.global_assets", "public.project_assets")
    assert done.returncode == 0, done.stderr
    script.write_text(done.stdout)
    volatile = ("last_synced_at", "created_at", "attached_at", "applied_at", "duration_ms", "id")
    with (
        throwaway_database(pg_server, seed_template) as by_cli,
        throwaway_database(pg_server, seed_template) as by_psql,
    ):
        assert attach_cli(by_cli).returncode == 0
        psql(pg_server, by_psql, script)
        with psycopg.connect(by_cli, autocommit=True) as a, psycopg.connect(by_psql, autocommit=True) as b:
            only_cli, only_psql = catalogue_difference(a, b)
            assert (only_cli, only_psql) == ([], [])
            assert rows_fingerprint(a, volatile) == rows_fingerprint(b, volatile)
            history = "select file, checksum from assetsync.migration_history order by file"
            assert a.execute(history).fetchall() == b.execute(history).fetchall()
            before = whole_state(b)
        psql(pg_server, by_psql, script)
        with psycopg.connect(by_psql, autocommit=True) as b:
            assert whole_state(b) == before
