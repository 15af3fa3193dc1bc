"""What the demo prints at the end: spend, where the warehouse is, how to query it, the files."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from datetime import date
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

SPEND_QUERY = (
    "select feature, team, sum(calls) as calls, sum(total_tokens) as tokens, "
    "round(sum(cost_usd), 4) as cost_usd, sum(unpriced_calls) as unpriced "
    "from spend_by_feature_team group by all order by cost_usd desc"
)


def print_spend(console: Console, warehouse: str, first: date, last: date) -> None:
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select feature, team, sum(calls), sum(input_tokens), sum(output_tokens), "
            "sum(cost_usd), sum(unpriced_calls) from spend_by_feature_team "
            "where date between ? and ? group by all order by 6 desc, 1, 2",
            [first, last],
        ).fetchall()
    table = Table(title=f"LLM spend by feature and team, {first} .. {last} (UTC)")
    for name, justify in [
        ("feature", "left"),
        ("team", "left"),
        ("calls", "right"),
        ("input tok", "right"),
        ("output tok", "right"),
        ("cost USD", "right"),
        ("unpriced", "right"),
    ]:
        table.add_column(name, justify=justify, no_wrap=True)
    for feature, team, calls, inputs, outputs, cost, unpriced in rows:
        # Text, not str: a name like "[beta]" is data, not rich markup.
        table.add_row(Text(feature), Text(team), f"{calls:,}", f"{inputs:,}", f"{outputs:,}",
                      f"{cost:,.4f}", f"{unpriced:,}")  # fmt: skip
    if rows:
        totals = [sum(row[i] for row in rows) for i in range(2, 7)]
        table.add_section()
        table.add_row("total", "", f"{totals[0]:,}", f"{totals[1]:,}", f"{totals[2]:,}",
                      f"{totals[3]:,.4f}", f"{totals[4]:,}", style="bold")  # fmt: skip
    console.print(table)


def print_where_things_are(console: Console, warehouse: str, export_root: Path) -> None:
    console.print(f"\n[bold]Warehouse[/bold] (DuckDB): {escape(warehouse)}")
    console.print("Query it read-only with the duckdb CLI:")
    console.print(
        f"  duckdb -readonly {shlex.quote(warehouse)} -c {shlex.quote(SPEND_QUERY)}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    console.print("or with Python (no CLI needed):")
    # JSON string literals are valid Python and use double quotes, so the shell quoting stays
    # readable.
    python = (
        f"import duckdb; con = duckdb.connect({json.dumps(warehouse)}, read_only=True); "
        f"con.sql({json.dumps(SPEND_QUERY)}).show()"
    )
    # `make setup` may have pip-installed uv outside PATH; `uv run` (make demo) names it in UV.
    uv = "uv" if shutil.which("uv") else shlex.quote(os.environ.get("UV", "uv"))
    console.print(
        f"  {uv} run python -c {shlex.quote(python)}  (in the project folder)",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    days = sorted(export_root.glob("spend_by_feature_team/date=*"))
    console.print(
        f"\n[bold]Exports[/bold] (CSV + Parquet per day) under {escape(str(export_root))}:"
    )
    for folder in days:
        names = sorted(path.suffix.lstrip(".") for path in folder.glob("spend_by_feature_team.*"))
        console.print(
            f"  {folder}/spend_by_feature_team.{{{','.join(names)}}}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
