"""Bound SQL parameters for rendered models.

Anything that is data (the partition window, user-configured metadata key names) reaches DuckDB as
a named parameter, never as text spliced into the statement: a key name like ``a'); drop table x``
is then just an odd key. A parameter is registered only when the template actually prints it,
because DuckDB rejects parameters a statement does not use.

A view cannot hold parameters (DuckDB stores its SQL text), so a model materialised as a view is
rendered with ``inline`` set: each value prints as a SQL literal instead (``sql_literal``: quotes
doubled, so any string reads back as exactly itself). A view is not partitioned, so printing
the partition window there is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cost_pipeline.warehouse.inline_params import sql_literal

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass
class ParamRegistry:
    """Collects the values of the placeholders a render printed, keyed by placeholder name."""

    values: dict[str, Any] = field(default_factory=dict)
    inline: bool = False  # print values as SQL literals (a view's definition)
    _counter: int = 0

    def param(self, name: str, value: Any, *, window: bool = False) -> Param:
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid SQL parameter name {name!r}: use [a-z_][a-z0-9_]*")
        return Param(name=name, value=value, registry=self, window=window)

    def derived(self, prefix: str, value: Any) -> Param:
        """A parameter computed from another value; numbered so two derivations never clash."""
        self._counter += 1
        return self.param(f"{prefix}_{self._counter}", value)

    def _print(self, param: Param) -> str:
        if not self.inline:
            self._register(param)
            return f"${param.name}"
        if param.window:
            raise ValueError(
                f"${param.name}: a model materialised as a view covers every partition; filter "
                "on the window in the models that read it"
            )
        return sql_literal(param.value)

    def _register(self, param: Param) -> None:
        known = self.values.get(param.name, param.value)
        if known != param.value:
            raise ValueError(f"SQL parameter ${param.name} bound to two different values")
        self.values[param.name] = param.value


@dataclass(frozen=True, eq=False)
class Param:
    """A value that renders as a ``$name`` placeholder and is bound when the statement runs."""

    name: str
    value: Any
    registry: ParamRegistry
    window: bool = False  # the partition window (has no meaning in a view)

    def __str__(self) -> str:
        return self.registry._print(self)

    # Jinja prints through __html__ when present; keep one code path.
    __html__ = __str__


def plain_value(value: Any) -> Any:
    """The Python value behind a template argument (a ``var()`` result or a literal)."""
    return value.value if isinstance(value, Param) else value


def json_pointer(key: str) -> str:
    """RFC 6901 pointer to a top-level key: ``~`` and ``/`` are the only characters to escape."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def quote_identifier(name: str) -> str:
    """A DuckDB identifier that means exactly ``name``, whatever characters it holds."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


# What a name may start or end with that is not part of it: every character Python's
# str.isspace() counts (DuckDB's plain trim() keeps tab, newline and the like), which is \t-\r,
# \x1c-\x1f, \x85 and Unicode's separators (\p{Z}), plus the zero-width space and the BOM,
# which look like nothing. As RE2 patterns: trim(value, <characters>) decodes its character set
# for every row (~13x slower than plain trim() over 10M rows), a regular expression does not.
_BLANK = r"[\t-\r\x{1C}-\x{1F}\x{85}\p{Z}\x{200B}\x{FEFF}]"
BLANK_ENDS_SQL = f"'^{_BLANK}+|{_BLANK}+$'"  # regexp_replace(value, {{ blank_ends }}, '', 'g')
ONLY_BLANKS_SQL = f"'{_BLANK}*'"  # regexp_full_match(value, {{ only_blanks }})
