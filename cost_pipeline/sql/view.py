"""Materialise a model as a view: store its query, count the partition's rows, one commit.

A staging model that only renames, attributes and prices rows need not be stored (dbt's own
convention: staging as views, marts as tables): writing stg_generations cost more than the mart
reading it (10M rows: ~17 s of the chain's 19 s). As a view, its query runs inside the mart's,
over exactly the partitions the mart reads (the mart's filter on partition_date reaches the raw
table's scan). A partition's run (re)creates the view, which covers every partition, and
reports the partition's rows as the view computes them now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import duckdb

from cost_pipeline.sql.params import quote_identifier
from cost_pipeline.sql.render import RenderedModel
from cost_pipeline.sql.replace import (
    ReplaceResult,
    is_view,
    relation_columns,
    require_partition_column,
    summarize_window,
)
from cost_pipeline.warehouse.transaction import transaction

Summary = TypeVar("Summary")


def replace_view(
    con: duckdb.DuckDBPyConnection,
    definition: RenderedModel,
    *,
    partition_start: date,
    partition_end: date,
    summarize: Callable[[duckdb.DuckDBPyConnection, str], Summary] | None = None,
) -> tuple[ReplaceResult, Summary | None]:
    """(Re)create the model's view from ``definition`` (rendered with inline values) and count
    its rows in ``[partition_start, partition_end)``; ``summarize`` runs over those rows."""
    if definition.params:
        raise ValueError(f"{definition.model.name}: a view's definition cannot bind parameters")
    started = time.perf_counter()
    name = definition.model.name
    relation = quote_identifier(name)
    partition_column = quote_identifier(definition.config.partition_by)
    with transaction(con):
        if not is_view(con, name):
            # Materialised as a table before: its rows are derived data, the view replaces them.
            con.execute(f"drop table if exists {relation}")
        con.execute(f"create or replace view {relation} as {definition.sql}")
        columns = relation_columns(con, name, temporary=False)
        require_partition_column(definition, dict(columns))
        (rows,) = con.execute(
            f"select count(*) from {relation} "
            f"where {partition_column} >= $start and {partition_column} < $end",
            {"start": partition_start, "end": partition_end},
        ).fetchone()
        summary = None
        if summarize:
            summary = summarize_window(
                con,
                name,
                definition.config.partition_by,
                partition_start,
                partition_end,
                summarize,
            )
    result = ReplaceResult(
        table=name,
        rows_written=int(rows),
        rows_replaced=0,
        duration_s=round(time.perf_counter() - started, 3),
        columns=tuple(columns),
        materialized="view",
    )
    return result, summary
