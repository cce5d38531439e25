"""Security, read from the catalogue: RLS everywhere, no SECURITY DEFINER, pinned search_path, invoker views,
and the rules of Supabase's database linter (splinter) that apply to a plain PostgreSQL database.

The lint queries are written here from the documented intent of each splinter rule, adapted to this project:
they look at the schemas `public` (the API) and `assetsync` (the internals), and `request_user_id()` plays the
part of Supabase's `auth.uid()`. Rules that need Supabase itself (auth, storage, pg_graphql, pgmq, replication
slots) or usage statistics of a live system (0005 unused_index, 0020 table_bloat) are left out.

Each lint must find nothing; test_lints_detect_what_they_look_for proves on seeded objects that each query does
find what it looks for, so that zero findings mean something.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from pg import PgServer, throwaway_database
from support import Conn

SCHEMAS = ["public", "assetsync"]
CONTRACT_TABLES = {"public.projects", "public.global_assets", "public.global_asset_versions", "public.project_assets"}
SYSTEM_SCHEMAS = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'"
NOT_FROM_EXTENSION = """not exists (
    select from pg_catalog.pg_depend as d
    where d.classid = {catalog}::regclass and d.objid = {oid} and d.deptype = 'e'
)"""


@pytest.fixture(scope="module")
def catalog(pg_server: PgServer, template_db: str) -> Iterator[Conn]:
    """A read-only look at a freshly migrated database, shared by the catalogue checks of this module."""
    with throwaway_database(pg_server, template_db) as url, psycopg.connect(url, autocommit=True) as connection:
        yield connection


def rows_of(conn: Conn, query: str) -> list[tuple[object, ...]]:
    """Run a catalogue query, its %(schemas)s replaced by the project's schemas (no parameters: % is literal)."""
    schemas = "array[" + ", ".join(f"'{schema}'" for schema in SCHEMAS) + "]::name[]"
    conn.execute("set search_path = ''")  # names in findings come out schema-qualified
    return conn.execute(query.replace("%(schemas)s", schemas)).fetchall()


def findings(conn: Conn, query: str) -> list[str]:
    return [str(row[0]) for row in rows_of(conn, query)]


def report(title: str, rows: list[str]) -> str:
    return f"{title}:\n  " + "\n  ".join(rows)


# ---------------------------------------------------------------------------------------------------------------
# Catalogue checks (CONTRACT.md, Security; README.md (Security))
# ---------------------------------------------------------------------------------------------------------------


def test_row_level_security_is_enabled_on_every_table(catalog: Conn) -> None:
    rows = rows_of(
        catalog,
        """
        select c.oid::regclass::text, c.relrowsecurity
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s)
        order by 1
        """,
    )
    names = {name if "." in name else f"public.{name}" for name, _ in rows}
    assert names >= CONTRACT_TABLES, f"the contract's tables are not all there: {sorted(names)}"
    disabled = [name for name, enabled in rows if not enabled]
    assert not disabled, report("tables without row-level security", disabled)


def test_no_security_definer_function_anywhere(catalog: Conn) -> None:
    rows = findings(
        catalog,
        f"""
        select p.oid::regprocedure::text
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where p.prosecdef and {SYSTEM_SCHEMAS}
        order by 1
        """,
    )
    assert not rows, report("SECURITY DEFINER functions", rows)


def test_every_function_pins_its_search_path(catalog: Conn) -> None:
    rows = rows_of(
        catalog,
        """
        select
            p.oid::regprocedure::text,
            (select c from unnest(p.proconfig) as c where c like 'search\\_path=%')
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = any(%(schemas)s)
        order by 1
        """,
    )
    assert len(rows) > 20, f"expected the project's functions, found {len(rows)}"
    mutable = [name for name, setting in rows if setting is None]
    assert not mutable, report("functions without a pinned search_path", mutable)
    # README, Security: pinned to pg_catalog, pg_temp (a session's temporary objects searched last).
    other = [f"{name}: {setting}" for name, setting in rows if setting != "search_path=pg_catalog, pg_temp"]
    assert not other, report("functions whose search_path is not pg_catalog, pg_temp", other)


def test_views_run_with_the_callers_rights(catalog: Conn) -> None:
    rows = rows_of(
        catalog,
        """
        select c.oid::regclass::text, coalesce(c.reloptions, '{}')
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind = 'v' and n.nspname = any(%(schemas)s)
        order by 1
        """,
    )
    assert any(name.endswith("project_asset_sync_status") for name, _ in rows)
    invoker = {"security_invoker=true", "security_invoker=on", "security_invoker=1", "security_invoker=yes"}
    definer = [f"{name} {options}" for name, options in rows if not invoker & {o.lower() for o in options}]
    assert not definer, report("views that run with their owner's rights", definer)


def test_public_gets_nothing_but_the_identity_function(catalog: Conn) -> None:
    """PUBLIC has no table privilege, no USAGE or CREATE on assetsync, no CREATE on public, and EXECUTE on no
    function of public except request_user_id() (it only reads the caller's own setting)."""
    rows = findings(
        catalog,
        """
        select format('%s %s: %s', kind, name, privilege)
        from (
            select 'relation' as kind, c.oid::regclass::text as name, a.privilege_type as privilege
            from pg_catalog.pg_class as c
            join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            cross join lateral pg_catalog.aclexplode(c.relacl) as a
            where n.nspname = any(%(schemas)s) and a.grantee = 0
            union all
            select 'schema', n.nspname, p.privilege
            from pg_catalog.pg_namespace as n cross join (values ('USAGE'), ('CREATE')) as p (privilege)
            where n.nspname = any(%(schemas)s)
                and pg_catalog.has_schema_privilege('public', n.oid, p.privilege)
                and not (n.nspname = 'public' and p.privilege = 'USAGE')
            union all
            select 'function', p.oid::regprocedure::text, 'EXECUTE'
            from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
            where n.nspname = 'public'
                and pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
                and p.oid <> 'public.request_user_id()'::regprocedure
        ) as granted
        order by 1
        """,
    )
    assert not rows, report("granted to PUBLIC", rows)


# ---------------------------------------------------------------------------------------------------------------
# Supabase database linter (splinter) rules, adapted
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lint:
    code: str
    name: str
    query: str  # one text column per finding; %(schemas)s is SCHEMAS
    seeded: bool = True  # test_lints_detect_what_they_look_for seeds an object it must find

    def __str__(self) -> str:
        return f"{self.code}_{self.name}"


# The calls whose value must be computed once per statement in a policy: wrapped as (select f()).
IDENTITY_CALL = r"(\m(public\.)?request_user_id\(\)|\mcurrent_setting\(|\mauth\.(uid|jwt|role|email)\(\))"

POLICIES = """
    select
        c.oid::regclass::text as table_name,
        c.relrowsecurity as rls,
        p.polname,
        p.polpermissive as permissive,
        p.polroles,
        case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE'
            else 'ALL' end as command,
        lower(coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '')) as qual,
        lower(coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')) as with_check
    from pg_catalog.pg_policy as p
    join pg_catalog.pg_class as c on c.oid = p.polrelid
    join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = any(%(schemas)s)
"""

LINTS = [
    Lint(
        "0001",
        "unindexed_foreign_keys",
        # Splinter asks for an index on exactly the key's columns; any valid index whose leading columns are the
        # key's columns serves the lookups of the key (a primary key (a, b) covers a foreign key (a)).
        # Like splinter, a partial index counts (project_assets' index is WHERE global_asset_id IS NOT NULL,
        # which every lookup by a key value satisfies).
        """
        select format('%s: foreign key %s has no index that starts with its columns', k.conrelid::regclass, k.conname)
        from pg_catalog.pg_constraint as k
        join pg_catalog.pg_class as c on c.oid = k.conrelid
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where k.contype = 'f' and n.nspname = any(%(schemas)s)
            and not exists (
                select
                from pg_catalog.pg_index as i
                cross join lateral (select string_to_array(i.indkey::text, ' ')::int2[] as cols) as ik
                where i.indrelid = k.conrelid and i.indisvalid
                    and (select array_agg(x order by x) from unnest(ik.cols[1:cardinality(k.conkey)]) as x)
                    = (select array_agg(x order by x) from unnest(k.conkey) as x)
            )
        order by 1
        """,
    ),
    Lint(
        "0003",
        "auth_rls_initplan",
        # Every call of request_user_id(), current_setting() or auth.*() in a policy must be the whole of a
        # scalar subquery, (select f()), which PostgreSQL runs once per statement as an InitPlan.
        f"""
        select format('%s: policy %s calls %s directly (once per row)', table_name, polname, expr)
        from ({POLICIES}) as p
        cross join lateral (values ('USING', p.qual), ('WITH CHECK', p.with_check)) as e (clause, expr_text)
        cross join lateral (select e.clause || ' ' || e.expr_text as expr) as x
        where p.rls
            and regexp_count(e.expr_text, '{IDENTITY_CALL}')
            > regexp_count(e.expr_text, '\\mselect\\s+{IDENTITY_CALL}')
        order by 1
        """,
    ),
    Lint(
        "0004",
        "no_primary_key",
        """
        select format('%s has no primary key', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s)
            and not exists (select from pg_catalog.pg_index as i where i.indrelid = c.oid and i.indisprimary)
        order by 1
        """,
    ),
    Lint(
        "0006",
        "multiple_permissive_policies",
        # Per table, command and role (a policy TO PUBLIC applies to every role).
        f"""
        with actions as (
            select p.*, a.action
            from ({POLICIES}) as p
            cross join lateral unnest(
                case when p.command = 'ALL' then array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] else array[p.command] end
            ) as a (action)
            where p.permissive
        ),
        roles as (select distinct a.table_name, a.action, r.role from actions as a, unnest(a.polroles) as r (role))
        select format(
            '%s: %s permissive policies for %s to %s: %s', r.table_name, count(*), r.action,
            case when r.role = 0 then 'PUBLIC' else r.role::regrole::text end,
            string_agg(a.polname, ', ' order by a.polname)
        )
        from roles as r
        join actions as a
            on a.table_name = r.table_name and a.action = r.action and (r.role = any(a.polroles) or 0 = any(a.polroles))
        group by r.table_name, r.action, r.role
        having count(*) > 1
        order by 1
        """,
    ),
    Lint(
        "0007",
        "policy_exists_rls_disabled",
        f"""
        select format('%s has policies (%s) but row-level security is disabled', table_name,
            string_agg(polname, ', ' order by polname))
        from ({POLICIES}) as p
        where not p.rls
        group by table_name
        order by 1
        """,
    ),
    Lint(
        "0008",
        "rls_enabled_no_policy",
        """
        select format('%s has row-level security enabled and no policy', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s) and c.relrowsecurity
            and not exists (select from pg_catalog.pg_policy as p where p.polrelid = c.oid)
        order by 1
        """,
    ),
    Lint(
        "0009",
        "duplicate_index",
        # Same table, columns or expressions, operator classes, collations, options and predicate.
        """
        select format('%s has identical indexes: %s', i.indrelid::regclass,
            string_agg(i.indexrelid::regclass::text, ', ' order by i.indexrelid::regclass::text))
        from pg_catalog.pg_index as i
        join pg_catalog.pg_class as c on c.oid = i.indrelid
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any(%(schemas)s)
        group by
            i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
            coalesce(pg_catalog.pg_get_expr(i.indexprs, i.indrelid), ''),
            coalesce(pg_catalog.pg_get_expr(i.indpred, i.indrelid), '')
        having count(*) > 1
        order by 1
        """,
    ),
    Lint(
        "0010",
        "security_definer_view",
        # Every view, whoever may select it (stricter than splinter, which looks at anon and authenticated).
        """
        select format('view %s runs with its owner''s rights (no security_invoker)', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind = 'v' and n.nspname = any(%(schemas)s)
            and not (
                lower(coalesce(c.reloptions::text, '{}'))::text[]
                && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes']
            )
        order by 1
        """,
    ),
    Lint(
        "0011",
        "function_search_path_mutable",
        f"""
        select format('function %s has a role-mutable search_path', p.oid::regprocedure)
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = any(%(schemas)s)
            and {NOT_FROM_EXTENSION.format(catalog="'pg_catalog.pg_proc'", oid="p.oid")}
            and not exists (
                select from unnest(coalesce(p.proconfig, '{{}}')) as s (setting) where s.setting like 'search\\_path=%'
            )
        order by 1
        """,
    ),
    Lint(
        "0013",
        "rls_disabled_in_public",
        # Splinter looks at public only; here at every schema of the project.
        """
        select format('table %s has row-level security disabled', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s) and not c.relrowsecurity
        order by 1
        """,
    ),
    Lint(
        "0014",
        "extension_in_public",
        """
        select format('extension %s is installed in schema %s', e.extname, e.extnamespace::regnamespace)
        from pg_catalog.pg_extension as e
        where e.extname <> 'plpgsql' and e.extnamespace::regnamespace::text = any(%(schemas)s)
        order by 1
        """,
    ),
    Lint(
        "0015",
        "rls_references_user_metadata",
        # user_metadata is a claim the user can edit: it must never decide access.
        f"""
        select format('%s: policy %s reads user_metadata', table_name, polname)
        from ({POLICIES}) as p
        where p.qual like '%user_metadata%' or p.with_check like '%user_metadata%'
        order by 1
        """,
    ),
    Lint(
        "0016",
        "materialized_view_in_api",
        # A materialized view has no row-level security.
        """
        select format('materialized view %s bypasses row-level security', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind = 'm' and n.nspname = any(%(schemas)s)
        order by 1
        """,
    ),
    Lint(
        "0017",
        "foreign_table_in_api",
        """
        select format('foreign table %s bypasses row-level security', c.oid::regclass)
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind = 'f' and n.nspname = any(%(schemas)s)
        order by 1
        """,
    ),
    Lint(
        "0018",
        "unsupported_reg_types",
        # Columns of these types keep OIDs that pg_upgrade cannot carry over.
        """
        select format('%s.%s is of type %s', c.oid::regclass, quote_ident(a.attname), a.atttypid::regtype)
        from pg_catalog.pg_attribute as a
        join pg_catalog.pg_class as c on c.oid = a.attrelid
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any(%(schemas)s) and a.attnum > 0 and not a.attisdropped
            and a.atttypid in (
                'regcollation'::regtype, 'regconfig'::regtype, 'regdictionary'::regtype, 'regnamespace'::regtype,
                'regoper'::regtype, 'regoperator'::regtype, 'regproc'::regtype, 'regprocedure'::regtype
            )
        order by 1
        """,
    ),
    Lint(
        "0022",
        "extension_versions_outdated",
        """
        select format('extension %s is at version %s, %s is available', e.extname, e.extversion, a.default_version)
        from pg_catalog.pg_extension as e join pg_catalog.pg_available_extensions as a on a.name = e.extname
        where e.extversion is distinct from a.default_version
        order by 1
        """,
        seeded=False,
    ),
    Lint(
        "0024",
        "rls_policy_always_true",
        f"""
        select format('%s: permissive policy %s for %s admits every row (%s)', table_name, polname, command,
            case when always_using then 'USING' else 'WITH CHECK' end)
        from (
            select
                p.*,
                p.command in ('UPDATE', 'DELETE', 'ALL')
                and (replace(p.qual, ' ', '') in ('true', '(true)', '1=1', '(1=1)') or p.qual = '') as always_using,
                replace(p.with_check, ' ', '') in ('true', '(true)', '1=1', '(1=1)')
                or (p.with_check = '' and p.command = 'INSERT') as always_check
            from ({POLICIES}) as p
            where p.rls and p.permissive
        ) as x
        where always_using or always_check
        order by 1
        """,
    ),
    Lint(
        "0030",
        "rls_policy_null_auth_disjunct",
        # A policy that lets a caller with no identity through: `request_user_id() is null or ...`. Stricter than
        # splinter: any null test of the identity in a permissive read policy is reported.
        f"""
        select format('%s: policy %s admits callers without an identity: %s', table_name, polname, qual)
        from ({POLICIES}) as p
        where p.rls and p.permissive and p.command in ('SELECT', 'ALL')
            and p.qual ~ '{IDENTITY_CALL}[^()]*\\)?\\s+is\\s+(not\\s+)?null'
        order by 1
        """,
    ),
    Lint(
        "0030",
        "invalid_index",
        """
        select format('index %s on %s is invalid', i.indexrelid::regclass, i.indrelid::regclass)
        from pg_catalog.pg_index as i
        join pg_catalog.pg_class as c on c.oid = i.indrelid
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any(%(schemas)s) and not i.indisvalid
        order by 1
        """,
        seeded=False,
    ),
]


@pytest.mark.parametrize("lint", LINTS, ids=str)
def test_lint_finds_nothing(catalog: Conn, lint: Lint) -> None:
    rows = findings(catalog, lint.query)
    assert not rows, report(f"splinter {lint}", rows)


SEEDS = """
create table public.lint_seed_parent (id integer primary key, note text);
create table public.lint_seed_child (id integer primary key, parent_id integer references public.lint_seed_parent);
create policy lint_seed_orphan_policy on public.lint_seed_child using (parent_id > 0);
create table public.lint_seed_rls (id integer primary key, owner_id uuid);
alter table public.lint_seed_rls enable row level security;
create policy lint_seed_per_row on public.lint_seed_rls for select using (owner_id = public.request_user_id());
create policy lint_seed_per_row_check on public.lint_seed_rls for insert
    with check (owner_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid);
create policy lint_seed_always on public.lint_seed_rls for update using (true);
create policy lint_seed_metadata on public.lint_seed_rls for delete
    using ((select current_setting('request.jwt.claims', true))::jsonb -> 'user_metadata' ->> 'admin' = 'yes');
create policy lint_seed_null_identity on public.lint_seed_rls for select
    using ((select public.request_user_id()) is null or owner_id = (select public.request_user_id()));
create table public.lint_seed_no_pk (x integer, f regproc);
alter table public.lint_seed_no_pk enable row level security;
create index lint_seed_dup_1 on public.lint_seed_no_pk (x);
create index lint_seed_dup_2 on public.lint_seed_no_pk (x);
create view public.lint_seed_view as select 1 as one;
create materialized view public.lint_seed_matview as select 1 as one;
create foreign data wrapper lint_seed_fdw;
create server lint_seed_server foreign data wrapper lint_seed_fdw;
create foreign table public.lint_seed_foreign (x integer) server lint_seed_server;
create function public.lint_seed_function() returns integer language sql as 'select 1';
"""


def test_lints_detect_what_they_look_for(conn: Conn) -> None:
    """On seeded objects (in this test's own database), every seeded lint reports them."""
    conn.execute(SEEDS)
    extension = conn.execute(
        "select name from pg_available_extensions where name in ('citext', 'hstore', 'ltree', 'cube') "
        "and installed_version is null order by 1 limit 1"
    ).fetchone()
    if extension:
        conn.execute(psycopg.sql.SQL("create extension {} schema public").format(psycopg.sql.Identifier(extension[0])))
    blind: list[str] = []
    for lint in LINTS:
        if not lint.seeded or (lint.name == "extension_in_public" and not extension):
            continue
        rows = findings(conn, lint.query)
        if not any("lint_seed" in row or (extension and extension[0] in row) for row in rows):
            blind.append(f"{lint}: {rows}")
    assert not blind, report("lints that miss their seeded object", blind)
    per_row = findings(conn, next(lint.query for lint in LINTS if lint.name == "auth_rls_initplan"))
    assert {"lint_seed_per_row" in r for r in per_row} == {True} and len(per_row) == 2, per_row
    assert not any("lint_seed_metadata" in r or "lint_seed_null_identity" in r for r in per_row), per_row
