"""One Dagster asset per model file; dependencies come from the file's ref() / source() calls.

Dropping a new ``.sql`` file into ``dbt_style_sql/marts/`` therefore adds an asset (named after
the file) with its lineage, with no Python change.
"""

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from cost_pipeline import settings
from cost_pipeline.partitions import daily_asset, observe_each_day
from cost_pipeline.sql.materialize import materialize_model
from cost_pipeline.sql.project import SqlModel, SqlProject, load_project
from cost_pipeline.sql.render import RenderedModel, render_model
from cost_pipeline.sql.summary import StageSummary, summarize_stage
from cost_pipeline.warehouse.model_builds import record_builds
from cost_pipeline.warehouse.prices import refresh_model_prices
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema

# Any window works for reading dependencies: rendering does not touch the database.
_PROBE_WINDOW = (date(2000, 1, 1), date(2000, 1, 2))


def model_variables() -> dict[str, Any]:
    """Values of ``var()``; read at run time so an env change needs no code reload."""
    keys = settings.attribution_keys()
    return {"feature_key": keys.feature, "team_key": keys.team}


def build_sql_assets(root: Path | None = None) -> list[dg.AssetsDefinition]:
    project = load_project(root)
    return [_model_asset(project, model) for model in project.models]


def model_dependencies(project: SqlProject, rendered: RenderedModel) -> list[dg.AssetKey]:
    keys = [dg.AssetKey(project.sources[source].asset_key) for source in rendered.sources]
    keys += [dg.AssetKey(name) for name in rendered.refs]
    return list(dict.fromkeys(keys))


def _model_asset(project: SqlProject, model: SqlModel) -> dg.AssetsDefinition:
    probe = render_model(
        project,
        model,
        partition_start=_PROBE_WINDOW[0],
        partition_end=_PROBE_WINDOW[1],
        variables=model_variables(),
    )

    @daily_asset(
        name=model.name,
        deps=model_dependencies(project, probe),
        pool=WRITER_POOL,
        kinds={"duckdb", "sql"},
        description=model.description or f"SQL model {model.layer}/{model.path.name}",
        code_version=hashlib.sha256(model.path.read_bytes()).hexdigest()[:16],
        metadata=_static_metadata(project, model),
    )
    def _sql_model(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        window = context.partition_time_window
        start, end = window.start.date(), window.end.date()
        with warehouse.get_connection() as con:
            # Costs are read through model_prices: the window's days get the rates of their
            # own dates first (days loaded before a genai-prices upgrade). A no-op when they
            # have them. The tables are migrated first: a warehouse may meet a new version
            # here before any load.
            ensure_schema(con)
            refresh_model_prices(con, start, end)
            result, summary = materialize_model(
                con,
                project,
                model,
                partition_start=start,
                partition_end=end,
                variables=model_variables(),
                summarize=lambda con, stage: summarize_stage(
                    con,
                    stage,
                    with_preview=model.layer == "marts",
                    with_totals=probe.config.materialized != "view",
                    partition_by=probe.config.partition_by,
                ),
            )
            if result.materialized != "view":  # a view reads the current rows anyway
                record_builds(con, model.name, start, end)
        if result.materialized == "view":
            context.log.info(
                f"{model.name}: view (re)created; [{start}, {end}) has {result.rows_written} "
                f"rows ({result.duration_s}s)"
            )
        else:
            context.log.info(
                f"{model.name} [{start}, {end}): {result.rows_written} rows written, "
                f"{result.rows_replaced} replaced in {result.duration_s}s"
            )
        if summary:
            observe_each_day(context, _day_figures(context.partition_keys, summary))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_written,
                "materialized": result.materialized,
                "rows_written": result.rows_written,
                "rows_replaced": result.rows_replaced,
                "duration_s": result.duration_s,
                "window": f"[{start}, {end})",
                **(summary.totals if summary else {}),
            }
        )

    return _sql_model


def _day_figures(days: list[str], summary: StageSummary) -> dict[str, dict[str, int | float]]:
    figures = {day: summary.by_day.get(date.fromisoformat(day), {"rows": 0}) for day in days}
    return {day: {"dagster/row_count": f["rows"], **f} for day, f in figures.items()}


def _static_metadata(project: SqlProject, model: SqlModel) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "sql_file": dg.MetadataValue.path(str(model.path.relative_to(project.root.parent))),
        "dagster/table_name": model.name,
    }
    if model.columns:
        metadata["dagster/column_schema"] = dg.TableSchema(
            columns=[
                dg.TableColumn(name=c.name, type=c.data_type, description=c.description or None)
                for c in model.columns
            ]
        )
    return metadata
