"""Small Markdown tables for Dagster metadata (the UI renders them on the asset page)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return "_no rows_"
    header = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return f"{value:,.6f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    # A pipe or newline inside a value would break the table's structure.
    return str(value).replace("|", "\\|").replace("\n", " ")
