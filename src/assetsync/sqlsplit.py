"""Split an SQL script into statements, for migrations run outside a transaction.

Aware of single-quoted strings ('' and E'\\' escapes), double-quoted identifiers,
dollar quotes ($$ and $tag$), line comments and nested block comments. It does not
understand psql meta-commands (migrations must not use them) nor BEGIN ATOMIC bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")


@dataclass(frozen=True)
class Statement:
    """One statement: its text (without the closing semicolon) and where it starts in the script."""

    text: str
    offset: int


def _is_blank(text: str) -> bool:
    """True when text holds only whitespace and comments."""
    return not strip_comments(text).strip()


def strip_comments(text: str) -> str:
    """The text with comments outside quotes removed (used to spot empty statements)."""
    out: list[str] = []
    for kind, chunk in _tokens(text):
        if kind != "comment":
            out.append(chunk)
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    """Cut text into ("code" | "quoted" | "comment" | "semicolon", chunk) tokens."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    code_start = 0

    def flush(upto: int) -> None:
        if upto > code_start:
            tokens.append(("code", text[code_start:upto]))

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        end: int | None = None
        kind = ""
        if ch == "-" and nxt == "-":
            newline = text.find("\n", i)
            end, kind = (n if newline < 0 else newline + 1), "comment"
        elif ch == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            end, kind = j, "comment"
        elif ch == "'":
            backslash = i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            j = i + 1
            while j < n:
                if backslash and text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            end, kind = min(j + 1, n), "quoted"
        elif ch == '"':
            j = i + 1
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            end, kind = min(j + 1, n), "quoted"
        elif ch == "$" and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            match = _DOLLAR_TAG.match(text, i)
            if match:
                close = text.find(match.group(0), match.end())
                end, kind = (n if close < 0 else close + len(match.group(0))), "quoted"
        elif ch == ";":
            end, kind = i + 1, "semicolon"
        if end is None:
            i += 1
            continue
        flush(i)
        tokens.append((kind, text[i:end]))
        i = code_start = end
    flush(n)
    return tokens


def split_statements(text: str) -> list[Statement]:
    """The non-empty statements of text, in order, each with its offset in text."""
    statements: list[Statement] = []
    start = 0
    pos = 0
    for kind, chunk in _tokens(text):
        if kind == "semicolon":
            body = text[start:pos]
            if not _is_blank(body):
                statements.append(Statement(body, start))
            start = pos + len(chunk)
        pos += len(chunk)
    tail = text[start:]
    if not _is_blank(tail):
        statements.append(Statement(tail, start))
    return statements
