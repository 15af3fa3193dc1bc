"""Run the SQL models for one day as the assets do, without Dagster (render + table/view)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from cost_pipeline.sql.materialize import materialize_model
from cost_pipeline.sql.project import load_project
from cost_pipeline.sql.replace import ReplaceResult


def run_models(
    con: duckdb.DuckDBPyConnection,
    day: date,
    *,
    root: Path | None = None,
    feature_key: str = "feature",
    team_key: str = "team",
) -> dict[str, ReplaceResult]:
    project = load_project(root)
    results = {}
    end = day + timedelta(days=1)
    for model in project.models:
        results[model.name], _ = materialize_model(
            con,
            project,
            model,
            partition_start=day,
            partition_end=end,
            variables={"feature_key": feature_key, "team_key": team_key},
        )
    return results
