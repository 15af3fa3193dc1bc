"""``spend_export``: each day of spend_by_feature_team as CSV + Parquet for BI tools.

Layout (hive-style, one folder per day):
``<export root>/spend_by_feature_team/date=YYYY-MM-DD/spend_by_feature_team.{csv,parquet}``.
The export root is COST_PIPELINE_EXPORT_DIR, else ``$COST_PIPELINE_HOME/exports``.
"""

import time
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from cost_pipeline import settings
from cost_pipeline.export.destination import destination_for
from cost_pipeline.export.partition_files import PartitionExport, export_partition
from cost_pipeline.partitions import daily_asset, observe_each_day
from cost_pipeline.warehouse.model_builds import StaleDay, stale_days
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource
from cost_pipeline.warehouse.tables import table_exists

MART = "spend_by_feature_team"
# A day another run loads again after this run built the mart for it (two runs over one day at
# once): that run builds it again, so the export asks Dagster to retry, for up to ~11 minutes.
# The waits double from 2 s to a minute: the other run's build usually follows within seconds,
# and each retry of a step may start a process.
RELOADED_RETRY_FIRST_WAIT_S = 2.0
RELOADED_RETRY_MAX_WAIT_S = 60.0
RELOADED_RETRIES = 15


@daily_asset(
    deps=[dg.AssetKey(MART)],
    pool=WRITER_POOL,
    kinds={"csv", "parquet"},
    description="Writes each day of spend_by_feature_team to "
    "exports/spend_by_feature_team/date=YYYY-MM-DD/ as CSV (formula cells neutralised) and "
    "Parquet, atomically.",
)
def spend_export(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    started = time.perf_counter()
    destination = destination_for(settings.export_root())
    days = [date.fromisoformat(key) for key in context.partition_keys]
    with warehouse.get_connection(read_only=True) as con:
        _require_built(context, con, days)
        exports = [
            export_partition(
                con,
                destination,
                table=MART,
                day=day,
                order_by="cost_usd desc, feature, team",
            )
            for day in days
        ]
    for export in exports:
        context.log.info(f"{export.day}: {export.rows} rows -> {export.csv.path}, .parquet")
    observe_each_day(context, {e.day.isoformat(): _day_metadata(e) for e in exports})
    return dg.MaterializeResult(metadata=_metadata(exports, time.perf_counter() - started))


def _require_built(
    context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, days: list[date]
) -> None:
    """Refuse days the mart no longer matches: it was not built for them, or not since their
    last load (or a copy moved to a neighbouring day). An export would publish numbers the
    warehouse no longer holds; a day without spend counts 0 on both sides."""
    if not (table_exists(con, "raw_generations") and table_exists(con, MART)):
        return  # export_partition says what is missing
    stale = stale_days(con, MART, days)
    if not stale:
        return
    failure = dg.Failure(
        f"{MART} is not up to date for {', '.join(day.describe() for day in stale)}: it was "
        f"not built for these days since their last load. Materialize stg_generations and "
        f"{MART} for them, then export; nothing was written."
    )
    if _reloaded_by_another_run(context, stale):
        listed = ", ".join(str(day.day) for day in stale)
        wait = min(RELOADED_RETRY_MAX_WAIT_S, RELOADED_RETRY_FIRST_WAIT_S * 2**context.retry_number)
        context.log.warning(
            f"{listed}: loaded again by another run after this run built {MART} for it; that "
            f"run builds it again. Export retried in {wait:g}s (retry "
            f"{context.retry_number + 1} of {RELOADED_RETRIES})"
        )
        # When the retries run out the step fails with ``failure``, its cause.
        raise dg.RetryRequested(RELOADED_RETRIES, wait) from failure
    raise failure


def _reloaded_by_another_run(context: dg.AssetExecutionContext, stale: list[StaleDay]) -> bool:
    """Every stale day was built by this run and loaded again after: only a run beside this
    one can have loaded it. A day stale before this run began stays stale however long we wait."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is None or record.start_time is None:
        return False
    started = datetime.fromtimestamp(record.start_time, UTC).replace(tzinfo=None)
    return all(
        day.reloaded and day.built_at is not None and day.built_at >= started for day in stale
    )


def _day_metadata(export: PartitionExport) -> dict[str, object]:
    return {
        "dagster/row_count": export.rows,
        "rows": export.rows,
        "csv_bytes": export.csv.bytes,
        "parquet_bytes": export.parquet.bytes,
    }


def _metadata(exports: list[PartitionExport], duration_s: float) -> dict[str, object]:
    metadata: dict[str, object] = {
        "dagster/row_count": sum(export.rows for export in exports),
        "rows": sum(export.rows for export in exports),
        "csv_bytes": sum(export.csv.bytes for export in exports),
        "parquet_bytes": sum(export.parquet.bytes for export in exports),
        "files": 2 * len(exports),
        "duration_s": round(duration_s, 3),
        "export_root": dg.MetadataValue.path(str(destination_for(settings.export_root()).root)),
    }
    if len(exports) == 1:
        metadata["csv_path"] = dg.MetadataValue.path(exports[0].csv.path)
        metadata["parquet_path"] = dg.MetadataValue.path(exports[0].parquet.path)
    else:
        listing = "\n".join(f"- `{e.csv.path}`\n- `{e.parquet.path}`" for e in exports)
        metadata["paths"] = dg.MetadataValue.md(listing)
    return metadata
