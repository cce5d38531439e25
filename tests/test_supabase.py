"""Supabase and PostgREST (CONTRACT.md, Part 2: Privileges are explicit, Identity, PostgREST; issue 13).

A Supabase-style database: the roles `anon`, `authenticated` (NOLOGIN), `service_role` and `authenticator`
(LOGIN, NOINHERIT, member of the others), an `auth` schema with `auth.uid()`, and Supabase's default privileges
on `public` (ALL on every new table, function and sequence to anon, authenticated and service_role), set up
BEFORE assetsync is installed, once with the bundle piped to psql and once with `migrate`, both with
`--grant-to authenticated`. Then the John Doe story runs as PostgREST runs a request: one transaction each,
connected as `authenticator`, `set local role authenticated` and the JWT claims set locally.

The privilege checks read the catalogue (pg_namespace.nspacl, pg_class.relacl, pg_proc.proacl, pg_type.typacl,
with the built-in defaults where an ACL is NULL) and compare every grant to a role other than the owner with the
contract's list, written out here.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from pg import REPO_DB_DIR, PgServer

Conn = psycopg.Connection[Any]

SUPABASE_ROLES = ("anon", "authenticated", "service_role", "authenticator")

SUPABASE_SETUP = """
create schema if not exists auth;
create or replace function auth.uid()
returns uuid
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""

# The contract's list (Part 2, Privileges are explicit), for the API role.
API_TABLES = {
    "public.projects": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "public.global_assets": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "public.project_assets": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    # the versioning trigger writes the history with the caller's rights; a client's INSERT is refused (42501)
    "public.global_asset_versions": {"SELECT", "INSERT"},
    "public.project_asset_sync_status": {"SELECT"},
    # the journal: written by the library's triggers and functions with the caller's rights
    "public.project_asset_changes": {"SELECT", "INSERT"},
    # the live notices' queue: written by the versioning trigger and the syncs, read and emptied at commit
    "assetsync.notice_queue": {"SELECT", "INSERT", "DELETE"},
    # Part 3: the merge mode of each synced field (set_synced_field_merge() is the owner's only)
    "public.synced_field_settings": {"SELECT"},
}
# The views of the list (not updatable: a DELETE is refused before privileges are checked).
VIEWS = {"public.project_asset_sync_status", "public.synced_field_settings"}
API_FUNCTIONS = [
    "public.request_user_id()",
    "public.sync_project_asset(uuid)",
    "public.sync_global_asset(uuid)",
    "public.sync_project(uuid)",
    "public.clone_global_asset(uuid,uuid)",
    "public.revert_project_asset_fields(uuid,text[])",
    "public.push_project_asset_fields(uuid,text[])",
    "public.preview_sync_global_asset(uuid)",
    "public.preview_global_asset_change(uuid,jsonb)",
    "public.resolve_sync_conflict(uuid,text,text)",
    "public.project_asset_diff(uuid)",
    "public.rollback_global_asset(uuid,integer)",
    "public.undo_project_asset_change(bigint)",
    "public.project_asset_overrides(uuid)",
    "public.text_diff(text,text)",
    "public.project_asset_visual_diff(uuid)",
]
# Internal functions the API role may not execute: code generators (only asset_sync_refresh() runs them) and
# the privilege functions. Every other function of schema assetsync is one the API calls (docs/supabase.md).
NOT_FOR_THE_API = re.compile(
    r"^assetsync\.(generate_\w+|sql_\w+|installed_body|generated_function_ddl|synced_field_catalog|comparison_mode"
    r"|column_type|drop_generated|single_key_column|comment_if_missing|add_attach_checks|create_history_table|create_journal_table"
    r"|api_privileges|apply_privileges|grant_to|revoke_from)\("
)

ACL_ENTRIES = """
with objects (object, owner, acl) as (
    select 'schema ' || pg_catalog.quote_ident(n.nspname), n.nspowner,
        coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))
    from pg_catalog.pg_namespace as n
    where n.nspname = 'assetsync'
    union all
    select case when c.relkind = 'S' then 'sequence ' else 'table ' end || c.oid::regclass::text, c.relowner,
        coalesce(c.relacl, pg_catalog.acldefault(case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner))
    from pg_catalog.pg_class as c
    where c.relnamespace::regnamespace::text in ('public', 'assetsync') and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    union all
    select 'function ' || p.oid::regprocedure::text, p.proowner,
        coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))
    from pg_catalog.pg_proc as p
    where p.pronamespace::regnamespace::text in ('public', 'assetsync')
    union all
    select 'type ' || t.oid::regtype::text, t.typowner, coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))
    from pg_catalog.pg_type as t
    left join pg_catalog.pg_class as c on c.oid = t.typrelid
    where t.typnamespace::regnamespace::text in ('public', 'assetsync')
        and t.typtype in ('c', 'd', 'e', 'r', 'm') and (t.typtype <> 'c' or c.relkind = 'c')
)
select o.object, case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end, a.privilege_type
from objects as o
cross join lateral pg_catalog.aclexplode(o.acl) as a
where a.grantee <> o.owner
order by 1, 2, 3
"""


# ---------------------------------------------------------------------------------------------------------------
# The Supabase-style database
# ---------------------------------------------------------------------------------------------------------------


def with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@pytest.fixture(scope="module")
def authenticator_password(pg_server: PgServer) -> Iterator[str | None]:
    """Creates the Supabase roles that are missing (roles are cluster-wide) and drops them afterwards.

    Returns authenticator's password when this fixture created it (connect as it, as PostgREST does), else None
    (an existing server's authenticator: act as it with SET ROLE from the superuser)."""
    password = secrets.token_urlsafe(16)
    created: list[str] = []
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        for role in SUPABASE_ROLES:
            if admin.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                continue
            if role == "authenticator":
                admin.execute(
                    sql.SQL("create role authenticator login noinherit password {}").format(sql.Literal(password))
                )
                admin.execute("grant anon, authenticated, service_role to authenticator")
            else:
                admin.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            created.append(role)
    yield password if "authenticator" in created else None
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        for role in reversed(created):
            admin.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


@pytest.fixture
def supabase_url(empty_db_url: str, authenticator_password: str | None) -> str:
    """An empty database with Supabase's auth schema and default privileges, assetsync not yet installed."""
    with psycopg.connect(empty_db_url, autocommit=True) as admin:
        admin.execute(SUPABASE_SETUP)
    return empty_db_url


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assetsync", *args], capture_output=True, text=True, timeout=120, check=False
    )


def psql(pg_server: PgServer, url: str, script: str) -> subprocess.CompletedProcess[str]:
    assert pg_server.bin_dir is not None
    return subprocess.run(
        [str(pg_server.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def install_with_migrate(pg_server: PgServer, url: str, *flags: str) -> None:
    done = run_cli("migrate", "--dsn", url, "--db-dir", str(REPO_DB_DIR), *flags)
    assert done.returncode == 0, done.stderr


def install_with_bundle(pg_server: PgServer, url: str, *flags: str) -> None:
    script = run_cli("bundle", "--db-dir", str(REPO_DB_DIR), *flags)
    assert script.returncode == 0, script.stderr
    done = psql(pg_server, url, script.stdout)
    assert done.returncode == 0, done.stderr


INSTALLERS = {"bundle": install_with_bundle, "migrate": install_with_migrate}


@pytest.fixture(params=list(INSTALLERS))
def installed_url(request: pytest.FixtureRequest, pg_server: PgServer, supabase_url: str) -> str:
    """The Supabase-style database with assetsync installed by the bundle or by migrate, --grant-to authenticated."""
    INSTALLERS[request.param](pg_server, supabase_url, "--grant-to", "authenticated")
    return supabase_url


@pytest.fixture
def owner(installed_url: str) -> Iterator[Conn]:
    with psycopg.connect(installed_url, autocommit=True) as conn:
        yield conn


def connect_api(url: str, authenticator_password: str | None) -> Conn:
    """A connection as PostgREST holds it: logged in as authenticator (which on its own can do nothing)."""
    if authenticator_password is not None:
        return psycopg.connect(with_user(url, "authenticator", authenticator_password), autocommit=True)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role authenticator")
    return conn


@pytest.fixture
def api(installed_url: str, authenticator_password: str | None) -> Iterator[Conn]:
    with connect_api(installed_url, authenticator_password) as conn:
        yield conn


def claims_of(user: UUID | None, role: str) -> str:
    return json.dumps({"sub": str(user) if user else None, "role": role, "aud": role})


@contextmanager
def request(conn: Conn, user: UUID | None, role: str = "authenticated") -> Iterator[Conn]:
    """One PostgREST request: a transaction with the role and the JWT claims set locally."""
    with conn.transaction():
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        conn.execute("select set_config('request.jwt.claims', %s, true)", (claims_of(user, role),))
        yield conn


def one(conn: Conn, user: UUID | None, query: str, params: Any = None, role: str = "authenticated") -> Any:
    with request(conn, user, role) as caller:
        row = caller.execute(query, params).fetchone()
    assert row is not None, f"no row from: {query}"
    return row[0]


def sqlstate(conn: Conn, user: UUID | None, query: str, params: Any = None, role: str = "authenticated") -> str | None:
    try:
        with request(conn, user, role) as caller:
            caller.execute(query, params)
    except psycopg.Error as error:
        return error.sqlstate
    return None


def acl_entries(conn: Conn) -> set[tuple[str, str, str]]:
    """(object, grantee, privilege) for every privilege a role other than the owner holds on an object of the
    schemas public and assetsync, or on the schema assetsync. Names are schema-qualified."""
    with conn.transaction():
        conn.execute("set local search_path = pg_catalog")
        return {(str(o), str(g), str(p)) for o, g, p in conn.execute(ACL_ENTRIES)}


def expected_entries(conn: Conn, roles: tuple[str, ...] = ("authenticated",)) -> set[tuple[str, str, str]]:
    """The contract's list for each API role, the internal functions taken from the catalogue."""
    with conn.transaction():
        conn.execute("set local search_path = pg_catalog")
        internal = [
            str(row[0])
            for row in conn.execute(
                "select p.oid::regprocedure::text from pg_proc as p where p.pronamespace = 'assetsync'::regnamespace"
            )
        ]
    wanted: set[tuple[str, str, str]] = set()
    for role in roles:
        wanted.add(("schema assetsync", role, "USAGE"))
        wanted |= {(f"table {table}", role, p) for table, privileges in API_TABLES.items() for p in privileges}
        wanted |= {(f"function {f}", role, "EXECUTE") for f in API_FUNCTIONS}
        wanted |= {(f"function {f}", role, "EXECUTE") for f in internal if not NOT_FOR_THE_API.match(f)}
    return wanted


def assert_grants_are_exact(conn: Conn, roles: tuple[str, ...] = ("authenticated",)) -> None:
    actual = acl_entries(conn)
    wanted = expected_entries(conn, roles)
    extra = sorted(actual - wanted)
    missing = sorted(wanted - actual)
    assert not extra and not missing, f"granted beyond the contract: {extra}\nnot granted: {missing}"
    managed = {
        (f"{kind} {name}", role, privilege)
        for kind, name, privileges in conn.execute(
            "select object_kind, object_name, privileges from assetsync.api_privileges()"
        )
        for role in roles
        for privilege in privileges
    }
    assert managed == wanted, "assetsync.api_privileges() disagrees with the catalogue"


# ---------------------------------------------------------------------------------------------------------------
# What is granted
# ---------------------------------------------------------------------------------------------------------------


def test_install_grants_exactly_the_api_set_whatever_the_defaults(owner: Conn) -> None:
    assert_grants_are_exact(owner)
    # The defaults were in force: an app's new table still gets them (assetsync does not change them).
    owner.execute("create table public.app_notes (id int)")
    assert owner.execute("select has_table_privilege('anon', 'public.app_notes', 'TRUNCATE')").fetchone() == (True,)
    assert owner.execute("select role_name::text from assetsync.api_grantees").fetchall() == [("authenticated",)]


def test_no_role_holds_a_privilege_without_grant_to(pg_server: PgServer, supabase_url: str) -> None:
    install_with_migrate(pg_server, supabase_url)
    with psycopg.connect(supabase_url, autocommit=True) as owner:
        assert acl_entries(owner) == set()
        assert_grants_are_exact(owner, roles=())


def test_anon_reaches_nothing(owner: Conn, api: Conn) -> None:
    user = uuid.uuid4()
    statements = [
        *(f"select * from {table}" for table in API_TABLES),
        *(f"delete from {table}" for table in API_TABLES if table not in VIEWS),
        "insert into projects (name) values ('x')",
        "insert into global_assets (name, asset_type) values ('x', 'prop')",
        "truncate projects",
        "select request_user_id()",
        "select sync_project_asset(gen_random_uuid())",
        "select sync_global_asset(gen_random_uuid())",
        "select sync_project(gen_random_uuid())",
        "select clone_global_asset(gen_random_uuid(), gen_random_uuid())",
        "select revert_project_asset_fields(gen_random_uuid())",
        "select resolve_sync_conflict(gen_random_uuid(), 'name', 'keep_local')",
        "select * from project_asset_diff(gen_random_uuid())",
        "select rollback_global_asset(gen_random_uuid(), 1)",
        "select asset_sync_refresh()",
        "select assetsync.synced_fields()",
        "select count(*) from assetsync.api_grantees",
        "select assetsync.grant_to('anon')",
    ]
    reached = [(s, state) for s in statements if (state := sqlstate(api, user, s, role="anon")) != "42501"]
    assert not reached, f"anon reached: {reached}"


def test_authenticated_cannot_refresh_or_change_privileges(owner: Conn, api: Conn) -> None:
    user = uuid.uuid4()
    for statement in (
        "select asset_sync_refresh()",
        "select assetsync.apply_privileges()",
        "select assetsync.grant_to('anon')",
        "select assetsync.revoke_from('authenticated')",
        "select * from assetsync.api_privileges()",
        "select assetsync.generate_pull(null)",
        "truncate projects",
        "select count(*) from assetsync.migration_history",
    ):
        assert sqlstate(api, user, statement) == "42501", statement


# ---------------------------------------------------------------------------------------------------------------
# The John Doe story as two tenants through PostgREST's role switch
# ---------------------------------------------------------------------------------------------------------------


def test_john_doe_story_as_authenticated(owner: Conn, api: Conn) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert one(api, a, "select current_user") == "authenticated"
    assert one(api, a, "select request_user_id()") == a
    assert one(api, a, "select auth.uid()") == a

    project = one(api, a, "insert into projects (name) values ('Project A') returning id")
    john = one(
        api,
        a,
        "insert into global_assets (name, asset_type, description, image_key_url) "
        "values ('John Doe', 'character', 'a tall man in a clean suit', 'john-brown.png') returning id",
    )
    copy = one(api, a, "select clone_global_asset(%s, %s)", (john, project))
    one(
        api,
        a,
        "update project_assets set description = 'a tall man in a dirty, torn suit' where id = %s returning id",
        (copy,),
    )
    assert one(api, a, "select overridden_fields from project_assets where id = %s", (copy,)) == ["description"]
    one(
        api,
        a,
        "update global_assets set image_key_url = 'john-red.png', description = 'a tall man in a grey suit' "
        "where id = %s returning version",
        (john,),
    )
    report = one(api, a, "select sync_project_asset(%s)", (copy,))
    assert (report["status"], report["updated_fields"], report["conflict_fields"]) == (
        "synced",
        ["image_key_url"],
        ["description"],
    )
    row = api.execute("select 1").fetchone()  # the connection is usable between requests
    assert row == (1,)
    assert one(api, a, "select state from project_asset_sync_status where project_asset_id = %s", (copy,)) == "conflict"
    assert one(
        api, a, "select state from project_asset_diff(%s) where field = 'description'", (copy,)
    ) == "conflict"
    assert one(api, a, "select count(*) from global_asset_versions where global_asset_id = %s", (john,)) == 2
    assert (
        sqlstate(
            api,
            a,
            "insert into global_asset_versions (global_asset_id, version, snapshot) values (%s, 9, '{}')",
            (john,),
        )
        == "42501"
    )
    one(api, a, "select resolve_sync_conflict(%s, 'description', 'keep_local') is null", (copy,))
    assert one(api, a, "select revert_project_asset_fields(%s)", (copy,)) == ["description"]
    assert one(api, a, "select description from project_assets where id = %s", (copy,)) == "a tall man in a grey suit"
    assert one(api, a, "select rollback_global_asset(%s, 1)", (john,)) == 3
    assert one(api, a, "select sync_project(%s)", (project,)) == 1
    assert one(api, a, "select sync_global_asset(%s)", (john,)) == 1
    assert one(api, a, "select image_key_url from project_assets where id = %s", (copy,)) == "john-brown.png"

    # Tenant B sees none of it and reaches none of it.
    one(api, b, "insert into projects (name) values ('Project B') returning id")
    for table in API_TABLES:
        if table == "public.synced_field_settings":
            continue  # one row per synced field, the same for every tenant: settings, not tenant data
        assert one(api, b, f"select count(*) from {table} where true") == (1 if table == "public.projects" else 0)
    assert sqlstate(api, b, "select sync_project_asset(%s)", (copy,)) == "P0002"
    assert sqlstate(api, b, "select rollback_global_asset(%s, 1)", (john,)) == "P0002"
    assert one(api, b, "with u as (update project_assets set name = 'x' where id = %s returning 1) "
               "select count(*) from u", (copy,)) == 0
    # A nobody (no sub) sees nothing either.
    assert one(api, None, "select count(*) from projects") == 0


# ---------------------------------------------------------------------------------------------------------------
# Grants are kept, new objects included, until --revoke-from
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def migrated_url(pg_server: PgServer, supabase_url: str) -> str:
    install_with_migrate(pg_server, supabase_url, "--grant-to", "authenticated")
    return supabase_url


def test_a_new_synced_column_and_a_recreated_function_get_exactly_the_grants(
    migrated_url: str, authenticator_password: str | None
) -> None:
    with psycopg.connect(migrated_url, autocommit=True) as owner:
        owner.execute("alter table global_assets add column mood text")
        owner.execute("alter table project_assets add column mood text")
        # A generated function that refresh creates anew (not replaces) gets the database's defaults first.
        owner.execute("drop function assetsync.synced_fields()")
        owner.execute("select asset_sync_refresh()")
        assert owner.execute("select 'mood' = any(assetsync.synced_fields())").fetchone() == (True,)
        assert_grants_are_exact(owner)
    with connect_api(migrated_url, authenticator_password) as api:
        a = uuid.uuid4()
        project = one(api, a, "insert into projects (name) values ('P') returning id")
        john = one(
            api, a, "insert into global_assets (name, asset_type, mood) values ('J', 'prop', 'calm') returning id"
        )
        copy = one(api, a, "select clone_global_asset(%s, %s)", (john, project))
        one(api, a, "update global_assets set mood = 'angry' where id = %s returning id", (john,))
        assert one(api, a, "select sync_project_asset(%s)", (copy,))["updated_fields"] == ["mood"]


def test_grants_survive_a_later_plain_migrate(pg_server: PgServer, migrated_url: str) -> None:
    with psycopg.connect(migrated_url, autocommit=True) as owner:
        # Someone widened them by hand, or default privileges did.
        owner.execute("grant truncate, references on public.projects to authenticated")
        owner.execute("grant execute on function public.asset_sync_refresh() to anon, authenticated")
        owner.execute("grant usage on schema assetsync to public")
        install_with_migrate(pg_server, migrated_url)
        assert_grants_are_exact(owner)


def test_revoke_from_removes_everything_and_leaves_app_objects(pg_server: PgServer, migrated_url: str) -> None:
    with psycopg.connect(migrated_url, autocommit=True) as owner:
        owner.execute("create table public.app_notes (id int)")  # Supabase's defaults grant it to authenticated
        app_grants = {entry for entry in acl_entries(owner) if entry[0] == "table public.app_notes"}
        assert ("table public.app_notes", "authenticated", "TRUNCATE") in app_grants
        install_with_migrate(pg_server, migrated_url, "--revoke-from", "authenticated")
        assert acl_entries(owner) == app_grants
        assert owner.execute("select count(*) from assetsync.api_grantees").fetchone() == (0,)
        install_with_migrate(pg_server, migrated_url)  # a later run grants it nothing
        assert not {entry for entry in acl_entries(owner) if entry[0] != "table public.app_notes"}


def test_an_upgrade_keeps_the_role_the_old_readme_granted(pg_server: PgServer, migrated_url: str) -> None:
    """An installation from before --grant-to had its API role granted by hand (USAGE on assetsync among the
    rest, as the README then said): upgrading records it, so its API keeps working, with exact grants."""
    with psycopg.connect(migrated_url, autocommit=True) as owner:
        # Back to before migration 014: no record, grants made by hand, the Supabase defaults in place.
        owner.execute("select assetsync.revoke_from('authenticated')")
        owner.execute("drop table assetsync.api_grantees")
        owner.execute("delete from assetsync.migration_history where file = 'migrations/014_api_grantees.sql'")
        # ... and before every later migration (the runner applies none below the last one applied).
        owner.execute("drop table assetsync.synced_field_settings")
        owner.execute("alter type assetsync.synced_field drop attribute merge")
        owner.execute("delete from assetsync.migration_history where file = 'migrations/016_synced_field_settings.sql'")
        owner.execute("drop table assetsync.notice_queue")
        owner.execute(
            "delete from assetsync.migration_history"
            " where file in ('migrations/017_notice_queue.sql', 'migrations/018_notice_batches.sql',"
            " 'migrations/020_projects_owner_index.sql')"
        )
        # 021 reshapes the journal's checks and triggers, and may run again on the reshaped journal.
        owner.execute(
            "delete from assetsync.migration_history where file = 'migrations/021_journal_cheaper_insert.sql'"
        )
        owner.execute("grant usage on schema assetsync to authenticated")
        owner.execute("grant execute on all functions in schema assetsync to authenticated")
        owner.execute("grant all on all tables in schema public to anon, authenticated, service_role")
        install_with_migrate(pg_server, migrated_url)
        assert owner.execute("select role_name::text from assetsync.api_grantees").fetchall() == [("authenticated",)]
        assert_grants_are_exact(owner)


def test_a_missing_role_is_refused_and_changes_nothing(pg_server: PgServer, supabase_url: str) -> None:
    role = f"no_such_role_{uuid.uuid4().hex[:8]}"
    done = run_cli("migrate", "--dsn", supabase_url, "--db-dir", str(REPO_DB_DIR), "--grant-to", role)
    assert done.returncode != 0
    assert "42704" in done.stderr and role in done.stderr
    script = run_cli("bundle", "--db-dir", str(REPO_DB_DIR), "--grant-to", role)
    applied = psql(pg_server, supabase_url, script.stdout)
    assert applied.returncode != 0 and role in applied.stderr
    with psycopg.connect(supabase_url, autocommit=True) as owner:
        assert owner.execute("select to_regnamespace('assetsync') is null").fetchone() == (True,)
        assert owner.execute("select to_regclass('public.projects') is null").fetchone() == (True,)
    with psycopg.connect(supabase_url, autocommit=True) as owner:
        install_with_migrate(pg_server, supabase_url, "--grant-to", "authenticated")
        done = run_cli("migrate", "--dsn", supabase_url, "--db-dir", str(REPO_DB_DIR), "--grant-to", role)
        assert done.returncode != 0 and "42704" in done.stderr
        assert_grants_are_exact(owner)


def test_grant_to_and_revoke_from_check_their_argument(owner: Conn) -> None:
    for statement, state in (
        ("select assetsync.grant_to(null)", "22004"),
        ("select assetsync.revoke_from(null)", "22004"),
        ("select assetsync.grant_to('no such role')", "42704"),
        ("select assetsync.revoke_from('no such role')", "42704"),
        ("select assetsync.grant_to(current_user)", "22023"),
    ):
        with pytest.raises(psycopg.Error) as caught:
            owner.execute(statement)
        assert caught.value.sqlstate == state, statement
    assert_grants_are_exact(owner)

