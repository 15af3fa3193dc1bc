"""Statements with their parameter values written in as SQL literals (client-side binding).

Why: DuckDB's Python client checks every bound value with ``value is pandas.NaT`` before it
looks at its type, and that check imports pandas (~90 MB of RSS, ~0.5 s) the first time any
value other than None is bound, whenever pandas is installed (DuckDB 1.4, python_conversion.cpp,
GetPythonObjectType). A load binds values in every batch, so the loading process carried pandas
for nothing. Its connections write the values into the statement instead, the way psycopg2
binds on the client: each value is printed by ``sql_literal``, which reads back in DuckDB as
exactly that value (a string's quotes doubled, NUL characters as ``chr(0)``), so the text of a
value can never become SQL. The placeholders (``?`` in order, or ``$name``) are found by a small
lexer that skips string literals, quoted identifiers and comments.

Every warehouse connection binds this way (resource.py), not only the loader's: every run (and,
under a multiprocess executor, every step) is a process of its own, and the first bound date of
a model, check or export step imported pandas in it (0.4-0.6 CPU-s and ~77 MB of peak RSS;
runs of daily_spend_job at 30,000 generations a day took 2.3-2.4 s instead of 2.6-3.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

Params = Sequence[Any] | Mapping[str, Any] | None

_IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENTIFIER_CHARS = _IDENTIFIER_START | frozenset("0123456789")


class InlineParamsError(ValueError):
    """A statement or value this module will not write out (never silently mis-bound)."""


def sql_literal(value: Any) -> str:
    """DuckDB text that evaluates to exactly ``value`` (typed like a bound parameter)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _signed(str(value))
    if isinstance(value, float):
        # repr round-trips every double; the cast keeps it a DOUBLE (0.1 would be a DECIMAL).
        text = repr(value) if math.isfinite(value) else str(value)
        return f"'{text}'::double"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InlineParamsError(f"no SQL literal for the decimal {value}")
        return _signed(format(value, "f"))  # positional digits: an exact DECIMAL, never a double
    if isinstance(value, str):
        return _string_literal(value)
    if isinstance(value, datetime):
        kind = "timestamp" if value.tzinfo is None else "timestamptz"
        return f"'{value.isoformat(sep=' ')}'::{kind}"
    if isinstance(value, date):
        return f"'{value.isoformat()}'::date"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        fields = [f"{_string_literal(str(key))}: {sql_literal(v)}" for key, v in value.items()]
        return "{" + ", ".join(fields) + "}"
    raise InlineParamsError(f"no SQL literal for a {type(value).__name__} value")


class InliningConnection:
    """A DuckDB connection whose ``execute`` writes the parameter values into the statement.

    A statement without values reaches DuckDB untouched. ``executemany`` and the other methods
    are DuckDB's own (they still bind)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    def execute(self, query: str, parameters: Params = None) -> duckdb.DuckDBPyConnection:
        if parameters is None:
            return self._conn.execute(query)
        return self._conn.execute(inline(query, parameters))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _signed(digits: str) -> str:
    # In parentheses, a negative number binds like one value: "10-?" must not become "10--5",
    # which DuckDB reads as 10 followed by a comment.
    return f"({digits})" if digits.startswith("-") else digits


def _string_literal(text: str) -> str:
    # Standard SQL strings have one escape, a doubled quote (DuckDB reads backslashes as is).
    # A NUL would end the statement text early, so it is spelled chr(0); the concatenation is
    # parenthesised so that a cast or slice after the placeholder applies to the whole value.
    quoted = "'" + text.replace("'", "''") + "'"
    if "\x00" not in text:
        return quoted
    return "(" + quoted.replace("\x00", "' || chr(0) || '") + ")"


def inline(sql: str, params: Params = None) -> str:
    """``sql`` with each placeholder replaced by the literal of its value."""
    if not params:
        params = [] if not isinstance(params, Mapping) else {}
    out: list[str] = []
    used_names: set[str] = set()
    positions = 0
    for kind, text in _tokens(sql):
        if kind == "positional":
            if isinstance(params, Mapping) or positions >= len(params):
                raise InlineParamsError("more ? placeholders than positional values")
            out.append(sql_literal(params[positions]))
            positions += 1
        elif kind == "named":
            if not isinstance(params, Mapping) or text not in params:
                raise InlineParamsError(f"no value for ${text}")
            used_names.add(text)
            out.append(sql_literal(params[text]))
        else:
            out.append(text)
    if isinstance(params, Mapping):
        unused = set(params) - used_names
        if unused:  # DuckDB refuses unused named parameters too
            raise InlineParamsError(f"values for placeholders not in the statement: {unused}")
    elif positions != len(params):
        raise InlineParamsError(f"{len(params)} values for {positions} ? placeholders")
    return "".join(out)


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of ``sql``: kind is ``sql``, ``positional`` or ``named``."""
    tokens: list[tuple[str, str]] = []
    start = i = 0
    n = len(sql)

    def flush(end: int) -> None:
        if end > start:
            tokens.append(("sql", sql[start:end]))

    while i < n:
        char = sql[i]
        if char in "'\"":
            if char == "'" and i > 0 and sql[i - 1] in "eE" and not _identifier_before(sql, i - 1):
                raise InlineParamsError("E'...' escape strings are not supported")
            i = _closing_quote(sql, i)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise InlineParamsError("unterminated /* comment")
            i = end + 2
        elif char == "?":
            flush(i)
            tokens.append(("positional", "?"))
            i += 1
            start = i
        elif char == "$":
            j = i + 1
            if j >= n or sql[j] not in _IDENTIFIER_START:
                raise InlineParamsError("only ? and $name placeholders are supported")
            while j < n and sql[j] in _IDENTIFIER_CHARS:
                j += 1
            flush(i)
            tokens.append(("named", sql[i + 1 : j]))
            i = start = j
        else:
            i += 1
    flush(n)
    return tokens


def _closing_quote(sql: str, opening: int) -> int:
    """Index just past the quote that closes the literal or identifier opened at ``opening``."""
    quote = sql[opening]
    i = opening + 1
    while True:
        end = sql.find(quote, i)
        if end < 0:
            raise InlineParamsError(f"unterminated {quote} in the statement")
        if sql.startswith(quote * 2, end):
            i = end + 2  # a doubled quote is part of the text
            continue
        return end + 1


def _identifier_before(sql: str, index: int) -> bool:
    return index > 0 and sql[index - 1] in _IDENTIFIER_CHARS
