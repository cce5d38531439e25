"""No password in any output: mask it in connection strings and in messages that may quote one.

Only `assetsync db url` prints a password, because that is its job.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import psycopg

MASK = "***"
# scheme://user:PASSWORD@host (any scheme, even a mistyped one)
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@)")
# password=SECRET or password='SE CRET' in a key/value connection string
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)", re.IGNORECASE)


def _passwords(dsn: str) -> set[str]:
    """The password(s) a connection string holds, as written and decoded."""
    found: set[str] = set()
    for match in _URL_PASSWORD.finditer(dsn):
        found.update({match.group(2), unquote(match.group(2))})
    for match in _KV_PASSWORD.finditer(dsn):
        found.add(match.group(2).strip("'"))
    try:
        password = psycopg.conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    if password:
        found.add(str(password))
    return {p for p in found if len(p) >= 4 and p != MASK}  # a shorter one is masked in URLs only


def mask(text: str, *dsns: str) -> str:
    """text with every password masked: in URLs, in password=…, and wherever a given DSN's password appears."""
    for password in sorted((p for d in dsns for p in _passwords(d)), key=len, reverse=True):
        text = text.replace(password, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}", text)
