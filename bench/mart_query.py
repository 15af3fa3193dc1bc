"""spend_by_feature_team's query over a warehouse, for SQL folders side by side.

    uv run python -m bench.mart_query --warehouse W.duckdb --rounds 6 /tmp/before/dbt_style_sql \
        dbt_style_sql

Each folder's stg_generations becomes a temporary view and its mart query runs over every day
in the warehouse, read-only, in this one process (DuckDB's default threads), the folders
alternating round by round. Every folder must return the same mart rows, or it stops: a change
to the SQL is measured only when it changes nothing but the time. Build a warehouse with
``bench.models_scale`` (synthetic) or ``bench.contender_ours`` (a day loaded from serve-local).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from cost_pipeline.sql.factory import model_variables
from cost_pipeline.sql.project import load_project
from cost_pipeline.sql.render import render_model
from cost_pipeline.warehouse.inline_params import inline, sql_literal
from cost_pipeline.warehouse.resource import ROW_GROUP_SIZE

EVERY_DAY = {"partition_start": date(2000, 1, 1), "partition_end": date(2100, 1, 1)}


def mart_query(con: duckdb.DuckDBPyConnection, folder: Path, number: int) -> str:
    """The folder's mart query, reading its own staging view (created here)."""
    project = load_project(folder)
    models = {model.name: model for model in project.models}
    staging = render_model(
        project, models["stg_generations"], **EVERY_DAY, variables=model_variables(),
        inline_values=True,
    )  # fmt: skip
    view = f"stg_generations_{number}"
    con.execute(f"create temp view {view} as {staging.sql}")
    mart = render_model(
        project, models["spend_by_feature_team"], **EVERY_DAY, variables=model_variables()
    )
    return inline(mart.sql.replace('"stg_generations"', view), mart.params)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    con = duckdb.connect(":memory:")
    con.execute(
        f"attach {sql_literal(args.warehouse)} as warehouse "
        f"(row_group_size {ROW_GROUP_SIZE}, read_only)"
    )
    con.execute("use warehouse")
    queries = [mart_query(con, folder, number) for number, folder in enumerate(args.folders)]
    walls: list[list[float]] = [[] for _ in queries]
    cpus: list[list[float]] = [[] for _ in queries]
    expected: list[Any] | None = None
    for _ in range(args.rounds):
        for number, query in enumerate(queries):
            cpu, wall = cpu_seconds(), time.perf_counter()
            rows = sorted(con.execute(query).fetchall(), key=repr)
            walls[number].append(time.perf_counter() - wall)
            cpus[number].append(cpu_seconds() - cpu)
            expected = expected if expected is not None else rows
            if rows != expected:
                raise SystemExit(f"{args.folders[number]}: the mart rows differ from the first's")
    for folder, wall, cpu in zip(args.folders, walls, cpus, strict=True):
        rounds = ", ".join(f"{value:.2f}" for value in cpu)
        print(f"{folder}: wall {spread(wall)} s, CPU {spread(cpu)} s (rounds: {rounds})")


if __name__ == "__main__":
    main()
