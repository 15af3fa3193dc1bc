"""``spend_export``: each day of spend_by_feature_team as CSV + Parquet for BI tools.

Layout (hive-style, one folder per day):
``<export root>/spend_by_feature_team/date=YYYY-MM-DD/spend_by_feature_team.{csv,parquet}``.
The export root is COST_PIPELINE_EXPORT_DIR, else ``$COST_PIPELINE_HOME/exports``.
"""

import time
from datetime import date

import dagster as dg
import duckdb

from cost_pipeline import settings
from cost_pipeline.export.destination import destination_for
from cost_pipeline.export.partition_files import PartitionExport, export_partition
from cost_pipeline.partitions import daily_asset, observe_each_day
from cost_pipeline.warehouse.model_builds import stale_days
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource
from cost_pipeline.warehouse.tables import table_exists

MART = "spend_by_feature_team"


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
        _require_built(con, days)
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


def _require_built(con: duckdb.DuckDBPyConnection, days: list[date]) -> None:
    """Refuse days the mart no longer matches: it was not built for them, or not since their
    last load (or a copy moved to a neighbouring day). An export would publish numbers the
    warehouse no longer holds; a day without spend counts 0 on both sides."""
    if not (table_exists(con, "raw_generations") and table_exists(con, MART)):
        return  # export_partition says what is missing
    stale = stale_days(con, MART, days)
    if stale:
        raise dg.Failure(
            f"{MART} is not up to date for {', '.join(day.describe() for day in stale)}: it was "
            f"not built for these days since their last load. Materialize stg_generations and "
            f"{MART} for them, then export; nothing was written."
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
