"""Statements with their parameter values written in as SQL literals (client-side binding).

Why: DuckDB's Python client checks every bound value with ``value is pandas.NaT`` before it
looks at its type, and that check imports pandas (~78 MB of RSS, ~0.5 s) the first time any
value other than None is bound, whenever pandas is installed (DuckDB 1.4, python_conversion.cpp,
GetPythonObjectType). A load binds values in every batch, so the loading process carried pandas
for nothing. Its connections write the values into the statement instead, the way psycopg2
binds on the client: each value is printed by ``sql_literal``, which reads back in DuckDB as
exactly that value (a string's quotes doubled, NUL characters as ``chr(0)``), so the text of a
value can never become SQL. The placeholders (``?``, ``$1``, ``$name``) are found by
sql_placeholders.py. A literal is typed as DuckDB types the bound value (an int INTEGER or BIGINT,
a Decimal DECIMAL(width, scale), a float DOUBLE); what would bind differently or lossily is
refused (a list mixing value types, an int beyond 64 bits, a Decimal of more than 38 digits). One
known difference: a dict is always a STRUCT, where binding makes ``{"key": [...], "value":
[...]}`` a MAP.

Every warehouse connection binds this way (resource.py), not only the loader's: every run (and,
under a multiprocess executor, every step) is a process of its own, and the first bound date of
a model, check or export step imported pandas in it (0.4-0.6 CPU-s and ~78 MB of peak RSS;
with this session's other changes, runs of daily_spend_job at 30,000 generations a day took 1.8 s
instead of 2.8 s: BENCHMARKS.md, fifth session).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from cost_pipeline.warehouse.sql_placeholders import PlaceholderError, placeholder_tokens

Params = Sequence[Any] | Mapping[str, Any] | None


class InlineParamsError(ValueError):
    """A statement or value this module will not write out (never silently mis-bound)."""


def sql_literal(value: Any) -> str:
    """DuckDB text that evaluates to exactly ``value`` (typed like a bound parameter)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _integer_literal(value)
    if isinstance(value, float):
        # float's own repr (a subclass's may name its type) round-trips every double; the cast
        # keeps it a DOUBLE (0.1 would be a DECIMAL).
        return f"'{float.__repr__(value)}'::double"
    if isinstance(value, Decimal):
        return _decimal_literal(value)
    if isinstance(value, str):
        return _string_literal(str.__str__(value))  # the text itself, whatever the subclass
    if isinstance(value, datetime):
        kind = "timestamp" if value.tzinfo is None else "timestamptz"
        return f"'{value.isoformat(sep=' ')}'::{kind}"
    if isinstance(value, date):
        return f"'{value.isoformat()}'::date"
    if isinstance(value, list | tuple):
        if len({type(item) for item in value if item is not None}) > 1:
            raise InlineParamsError("no SQL literal for a list mixing value types")
        return "[" + ", ".join(sql_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        if any("\x00" in str(key) for key in value):
            raise InlineParamsError("no SQL literal for a struct key holding a NUL character")
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


def _integer_literal(value: int) -> str:
    # int's own repr: an int subclass (an IntEnum member) may print as its name.
    if -(2**63) < value < 2**63:
        return _signed(int.__repr__(value))
    if value == -(2**63):  # "-9223372036854775808" is minus a HUGEINT
        return "(-9223372036854775807 - 1)"
    if 0 < value < 2**64:
        return f"{int.__repr__(value)}::ubigint"
    raise InlineParamsError(f"no SQL literal for the integer {value}: beyond 64 bits")


def _decimal_literal(value: Decimal) -> str:
    """An exact DECIMAL of the width and scale DuckDB's binding gives the value."""
    if not value.is_finite():
        raise InlineParamsError(f"no SQL literal for the decimal {value}")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent >= 0:  # DuckDB's own binding misreads these (1E+3 as 1.000): not copied
        width, scale = len(digits) + exponent, 0
    else:  # DuckDB's rule: 0.12 is DECIMAL(2,2), 0.012 DECIMAL(4,3)
        scale = -exponent
        width = len(digits) if len(digits) >= scale else scale + 1
    if width > 38:  # DuckDB's widest DECIMAL; binding would round it to a DOUBLE
        raise InlineParamsError(f"no SQL literal for the decimal {value}: more than 38 digits")
    return f"{_signed(format(value, 'f'))}::decimal({width},{scale})"


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
    """``sql`` with each placeholder replaced by the literal of its value.

    A literal is written with a space on either side: ``limit?`` must read ``limit 3``, and a
    value must never merge with the word before it (``e?`` would make a string an E'...' one)."""
    try:
        tokens = placeholder_tokens(sql)
    except PlaceholderError as error:
        raise InlineParamsError(str(error)) from error
    kinds = {kind for kind, _ in tokens if kind != "sql"}
    if len(kinds) > 1:  # DuckDB refuses a statement that mixes them too
        raise InlineParamsError(f"placeholders of more than one kind: {sorted(kinds)}")
    if not params:
        params = [] if not isinstance(params, Mapping) else {}
    if isinstance(params, Mapping) and kinds - {"named"}:
        raise InlineParamsError("values by name for a statement with ? or $1 placeholders")
    if not isinstance(params, Mapping) and "named" in kinds:
        name = next(text for kind, text in tokens if kind == "named")
        raise InlineParamsError(f"no value for ${name}: the values are given in order")
    out: list[str] = []
    used: set[str | int] = set()
    for kind, text in tokens:
        if kind == "sql":
            out.append(text)
            continue
        key: str | int
        if kind == "positional":
            key = len(used)  # ? takes the next value
        elif kind == "numbered":
            key = int(text) - 1
        else:
            key = text
        value = _value_for(params, kind, key)
        used.add(key)
        out.append(f" {sql_literal(value)} ")
    # DuckDB refuses values it has no placeholder for.
    if isinstance(params, Mapping) and set(params) - used:
        unused = sorted(set(params) - used)  # type: ignore[type-var]
        raise InlineParamsError(f"values for placeholders not in the statement: {unused}")
    if len(params) != len(used):
        raise InlineParamsError(f"{len(params)} values for {len(used)} placeholders")
    return "".join(out)


def _value_for(params: Sequence[Any] | Mapping[str, Any], kind: str, key: str | int) -> Any:
    if isinstance(params, Mapping):
        if key not in params:
            raise InlineParamsError(f"no value for ${key}")
        return params[key]  # type: ignore[index]
    assert isinstance(key, int)
    if not 0 <= key < len(params):
        raise InlineParamsError(
            "more ? placeholders than values"
            if kind == "positional"
            else f"no value for ${key + 1}"
        )
    return params[key]
