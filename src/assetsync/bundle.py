"""SQL scripts for those who apply SQL without the runner: the install-or-upgrade bundle, the uninstall.

The bundle uses no psql meta-command. Each migration runs inside a DO block that first checks the history,
so a bundle applied twice, or over an older assetsync, applies only what the database lacks and records
it, as `assetsync migrate` would. Before anything, a check compares the bundle's migrations with the
history and stores its refusal (if any) in the setting assetsync.bundle_refusal; every later block raises
it again, so that even `psql` without ON_ERROR_STOP changes nothing after a refusal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources

from psycopg import sql

from assetsync import __version__
from assetsync.files import Project, SqlFile
from assetsync.runner import (
    DATA_TABLES,
    DEFAULT_TABLE_MIGRATIONS,
    REFRESH_FUNCTION,
    Attach,
    bootstrap_sql,
    privilege_calls,
)

_REFUSAL = "assetsync.bundle_refusal"
_CHECK = """\
do $assetsync_check$
declare
    v_bundle constant jsonb := {migrations};
    v_data_tables constant text[] := {data_tables};
    v_refusal text;
begin
    perform pg_catalog.set_config('{refusal}', '', false);
    if pg_catalog.to_regclass('assetsync.migration_history') is null then
        select pg_catalog.string_agg(pg_catalog.format('public.%I', t.name), ', ')
            || ' exist and assetsync is not installed: they are not assetsync''s; to adopt an app''s own '
            || 'tables, attach them with `assetsync bundle --attach LIBRARY COPIES` (see docs/attach.md)'
        into v_refusal
        from pg_catalog.unnest(v_data_tables) as t (name)
        where pg_catalog.to_regclass(pg_catalog.format('public.%I', t.name)) is not null;
    else
        select pg_catalog.min(
            case
                when b.value is null then h.file || ': the database has this migration and this bundle does not '
                    || '(the database holds a newer assetsync; use its bundle)'
                when h.checksum <> b.value ->> 'checksum' then h.file || ': differs from the migration the '
                    || 'database recorded (checksum ' || pg_catalog.left(h.checksum, 12) || '… in the database, '
                    || pg_catalog.left(b.value ->> 'checksum', 12) || '… in this bundle)'
            end
        )
        into v_refusal
        from assetsync.migration_history as h
        left join pg_catalog.jsonb_array_elements(v_bundle) as b (value) on h.file = b.value ->> 'file'
        where h.kind = 'migration';
        if v_refusal is null then
            select pg_catalog.min(
                (b.value ->> 'file') || ': new migration numbered below the last applied migration '
                || h.last_number
            )
            into v_refusal
            from pg_catalog.jsonb_array_elements(v_bundle) as b (value)
            cross join (
                select pg_catalog.max(migration_number) as last_number
                from assetsync.migration_history
                where kind = 'migration'
            ) as h
            where (b.value ->> 'number')::numeric < h.last_number
                and not exists (
                    select from assetsync.migration_history as r
                    where r.kind = 'migration' and r.file = b.value ->> 'file'
                );
        end if;
    end if;
    perform pg_catalog.set_config('{refusal}', coalesce(v_refusal, ''), false);
end
$assetsync_check$;

{guard_block}
"""
_GUARD = """\
    if pg_catalog.current_setting('{refusal}', true) <> '' then
        raise exception using
            errcode = '55000',
            message = 'assetsync bundle refuses: ' || pg_catalog.current_setting('{refusal}'),
            hint = 'Nothing was changed.';
    end if;
"""


def _literal(value: object) -> str:
    return sql.Literal(value).as_string(None)


def _guard() -> str:
    return _GUARD.replace("{refusal}", _REFUSAL)


def _dollar_quoted(text: str) -> str:
    """text between dollar quotes whose tag does not occur in it."""
    tag, n = "assetsync_sql", 0
    while f"${tag}$" in text:
        n += 1
        tag = f"assetsync_sql{n}"
    return f"${tag}$\n{text.rstrip()}\n${tag}$"


def _history_insert(file: SqlFile) -> str:
    values = ", ".join(_literal(v) for v in (file.name, file.kind, file.number, file.checksum))
    return f"insert into assetsync.migration_history (file, kind, migration_number, checksum) values ({values});"


def _indent_outside_quotes(body: str, prefix: str) -> str:
    """body with prefix before each non-empty line, except the lines of a file's text between the dollar quotes
    of _dollar_quoted: that text runs as it is, so functions get the same source as `assetsync migrate` gives
    them and a multi-line string literal keeps its value."""
    lines, quote = [], None
    for line in body.splitlines():
        inside = quote is not None
        if quote is None:
            opening = re.search(r"(\$assetsync_sql\d*\$)$", line)
            quote = opening.group(1) if opening else None
        elif line.startswith(quote):
            quote, inside = None, False
        lines.append(line if inside or not line else prefix + line)
    return "\n".join(lines)


def _guarded(comment: str, condition: str, body: str) -> str:
    """A DO block that re-raises a refusal, then runs body when condition holds."""
    indented = _indent_outside_quotes(body, "        ")
    return (
        f"\n-- {comment}\n"
        "do $assetsync$\nbegin\n" + _guard() + f"    if {condition} then\n{indented}\n    end if;\nend\n$assetsync$;\n"
    )


def _run_and_record(file: SqlFile) -> str:
    return f"execute {_dollar_quoted(file.text)};\n{_history_insert(file)}"


def _role_checks(privileges: Sequence[tuple[str, str]]) -> str:
    """A block that stops the script before it changes anything when a role of --grant-to/--revoke-from is
    missing (a role to revoke from may be one that is only recorded)."""
    checks = []
    for function, role in privileges:
        recorded = (
            "        if pg_catalog.to_regclass('assetsync.api_grantees') is not null then\n"
            "            execute 'select exists (select from assetsync.api_grantees where role_name = $1)'\n"
            f"                into v_recorded using {_literal(role)};\n"
            "        end if;\n"
            if function.endswith("revoke_from")
            else ""
        )
        checks.append(
            "    v_recorded := false;\n"
            f"    if pg_catalog.to_regrole({_literal(sql.Identifier(role).as_string(None))}) is null then\n{recorded}"
            "        if not v_recorded then\n"
            "            raise exception using errcode = '42704',\n"
            f"                message = {_literal(f'role {role} does not exist')},\n"
            "                hint = 'Create it first or check the name; nothing was applied.';\n"
            "        end if;\n"
            "    end if;\n"
        )
    if not checks:
        return ""
    head = "do $assetsync_roles$\ndeclare\n    v_recorded boolean;\nbegin\n"
    return head + "".join(checks) + "end\n$assetsync_roles$;\n\n"


def bundle(
    project: Project, grant_to: Sequence[str] = (), revoke_from: Sequence[str] = (), attach: Attach | None = None
) -> str:
    """One idempotent SQL script that installs the project's schema, or upgrades an older one to it.

    grant_to / revoke_from: API roles the script records or forgets (assetsync.grant_to / revoke_from)
    after the refresh, in the same transaction; a missing role stops it before it changes anything.
    attach: an app's tables to attach instead of creating assetsync's own; the whole script is then one
    transaction (a no-transaction migration runs after it), and the migrations that create assetsync's own
    tables are recorded without running, as `migrate --attach` does.
    """
    privileges = privilege_calls(grant_to, revoke_from)
    last = project.migrations[-1].path.name if project.migrations else "none"
    migrations = [{"file": f.name, "number": f.number, "checksum": f.checksum} for f in project.migrations]
    migrations_json = "[\n" + ",\n".join(f"    {json.dumps(m)}" for m in migrations) + "\n]"  # one per line
    check = (
        _CHECK.replace("{refusal}", _REFUSAL)
        .replace("{migrations}", _literal(migrations_json) + "::jsonb")
        .replace("{data_tables}", _literal([] if attach else list(DATA_TABLES)) + "::text[]")
        .replace("{guard_block}", "do $assetsync$\nbegin\n" + _guard() + "end\n$assetsync$;")
    )
    parts = [
        f"-- assetsync {__version__} bundle; last migration: {last}\n"
        "-- Installs assetsync, or upgrades an older assetsync, applying only what the database lacks and\n"
        "-- recording it in assetsync.migration_history as `assetsync migrate` does; running it again changes\n"
        "-- nothing. Apply with: psql -v ON_ERROR_STOP=1 -f this.sql (or paste it into an SQL editor).\n"
        "-- It refuses, changing nothing, when a migration it holds differs from the one the database recorded.\n"
        "-- Generated by `assetsync bundle`; do not edit.\n\n",
        _role_checks(privileges),
        (
            "begin;  -- --attach: one transaction, so that a refused attach installs nothing\n"
            "select pg_catalog.set_config('assetsync.attach_mode', 'on', true);\n\n"
            if attach
            else ""
        ),
        check,
        _guarded(
            "the migration history (assetsync's own table)",
            "pg_catalog.to_regclass('assetsync.migration_history') is null",
            f"execute {_dollar_quoted(bootstrap_sql())};",
        ),
    ]
    recorded = "exists (select from assetsync.migration_history where kind = 'migration' and file = {})"
    deferred: list[str] = []
    for file in project.migrations:
        if attach and file.name in DEFAULT_TABLE_MIGRATIONS:
            parts.append(_guarded(f"{file.name}: recorded, not run (--attach: the app's tables take its place)",
                                  "not " + recorded.format(_literal(file.name)), _history_insert(file)))
        elif attach and file.no_transaction:
            deferred.append(
                f"\n-- {file.name}: runs outside a transaction, as it is (it must be safe to run again)\n"
                + file.text.rstrip("\n") + "\n;\n"
                + _guarded(f"{file.name}: record it", "not " + recorded.format(_literal(file.name)),
                           _history_insert(file))
            )
        elif file.no_transaction:
            parts.append(f"\n-- {file.name}: runs outside a transaction, as it is (it must be safe to run again)\n")
            parts.append(file.text.rstrip("\n") + "\n;\n")
            parts.append(_guarded(f"{file.name}: record it", "not " + recorded.format(_literal(file.name)),
                                  _history_insert(file)))
        else:
            parts.append(_guarded(file.name, "not " + recorded.format(_literal(file.name)), _run_and_record(file)))
    latest = (
        "(select h.checksum from assetsync.migration_history as h where h.file = {} order by h.id desc limit 1)"
    )
    parts.append(
        "\n-- The changed functions, the refresh (which generates the trigger functions), the changed triggers:"
        "\n-- one transaction, in the order `assetsync migrate` applies them.\n" + ("" if attach else "begin;\n")
    )
    refresh = _guarded(
        "bring tracking and sync up to date with the tables' columns",
        f"pg_catalog.to_regprocedure({_literal(REFRESH_FUNCTION)}) is not null",
        "perform public.asset_sync_refresh();",
    )
    for kind in ("function", "trigger"):
        for file in (f for f in project.repeatables if f.kind == kind):
            condition = f"{latest.format(_literal(file.name))} is distinct from {_literal(file.checksum)}"
            parts.append(_guarded(file.name, condition, _run_and_record(file)))
        if kind == "function":
            if attach:
                parts.append(_guarded(
                    f"attach {attach.library} (library) and {attach.copies} (copies)",
                    "true",
                    f"perform public.asset_sync_attach({_literal(attach.library)}::regclass, "
                    f"{_literal(attach.copies)}::regclass, {_literal(json.dumps(attach.options, sort_keys=True))});",
                ))
            parts.append(refresh)
    for function, role in privileges:
        parts.append(_guarded(f"{function}({role})", "true", f"perform {function}({_literal(role)});"))
    parts.append("\ncommit;\n" + "".join(deferred) + "\nnotify pgrst, 'reload schema';\n")
    return "".join(parts)


_PUBLIC_OBJECT = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(function|procedure|view|table|type|domain)\s+(?:if\s+not\s+exists\s+)?"
    r"public\.([a-z_][a-z0-9_]*)",
    re.IGNORECASE,
)


def public_objects(project: Project) -> dict[str, set[str]]:
    """The objects the project's files create in public, by kind (tables, views, routines, types)."""
    found: dict[str, set[str]] = {"tables": set(), "views": set(), "routines": set(), "types": set()}
    kinds = {"function": "routines", "procedure": "routines", "view": "views", "table": "tables",
             "type": "types", "domain": "types"}
    for file in project.files:
        for kind, name in _PUBLIC_OBJECT.findall(file.text):
            found[kinds[kind.lower()]].add(name.lower())
    return found


def uninstall(project: Project, *, drop_data: bool, drop_columns: bool = False) -> str:
    """The SQL that `assetsync uninstall` runs: every object of assetsync dropped, or an error and no change."""
    objects = public_objects(project)
    template = (resources.files("assetsync") / "uninstall.sql").read_text(encoding="utf-8")
    values = {
        "drop_data": _literal(drop_data),
        "drop_columns": _literal(drop_columns),
        "data_tables": _literal(list(DATA_TABLES)) + "::text[]",
        "tables": _literal(sorted(objects["tables"] - set(DATA_TABLES))) + "::text[]",
        "views": _literal(sorted(objects["views"])) + "::text[]",
        "routines": _literal(sorted(objects["routines"])) + "::text[]",
        "types": _literal(sorted(objects["types"])) + "::text[]",
    }
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    flags = (" --drop-data" if drop_data else "") + (" --drop-columns" if drop_columns else "")
    header = f"-- assetsync {__version__} uninstall{flags}; generated by `assetsync bundle --uninstall{flags}`\n"
    return header + template
