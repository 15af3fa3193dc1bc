"""One model for one partition window, as its config says: a table's rows or a view's query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import duckdb

from cost_pipeline.sql.project import SqlModel, SqlProject
from cost_pipeline.sql.render import render_model
from cost_pipeline.sql.replace import ReplaceResult, replace_partition
from cost_pipeline.sql.view import replace_view

Summary = TypeVar("Summary")


def materialize_model(
    con: duckdb.DuckDBPyConnection,
    project: SqlProject,
    model: SqlModel,
    *,
    partition_start: date,
    partition_end: date,
    variables: Mapping[str, Any],
    summarize: Callable[[duckdb.DuckDBPyConnection, str], Summary] | None = None,
) -> tuple[ReplaceResult, Summary | None]:
    """Replace the window's rows of a table model, or (re)create a view model and count them."""
    rendered = render_model(
        project,
        model,
        partition_start=partition_start,
        partition_end=partition_end,
        variables=variables,
    )
    window = {"partition_start": partition_start, "partition_end": partition_end}
    if rendered.config.materialized == "view":
        definition = render_model(project, model, **window, variables=variables, inline_values=True)
        return replace_view(con, definition, **window, summarize=summarize)
    return replace_partition(con, rendered, **window, summarize=summarize)
