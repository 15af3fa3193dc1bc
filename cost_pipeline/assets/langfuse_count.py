"""Check on ``raw_generations``: the warehouse holds every generation Langfuse counts per day.

The loader pages what Langfuse lists; it cannot notice what the listing never showed it:
generations that became readable after the re-run's lookback window (a late batch import, an
SDK that flushed hours later), or a listing that ended early (a proxy, a broken page). Langfuse's
metrics API counts the same generations independently, one request per run whatever its range.
"""

import warnings
from datetime import date

import dagster as dg
import duckdb

from cost_pipeline.assets.check_days import check_each_day
from cost_pipeline.langfuse.generation_count import CountUnavailable, generations_per_day
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.partitions import daily_partitions
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource
from cost_pipeline.warehouse.tables import table_exists

REFRESH_HINT = 'materialize raw_generations for the day with {"full_refresh": true}'


def _held(con: duckdb.DuckDBPyConnection, day: date) -> tuple[int, int]:
    """Generations stored for ``day`` and the ones rejected there (one record per bad row)."""
    if not table_exists(con, "raw_generations"):
        return 0, 0
    (stored,) = con.execute(
        "select count(*) from raw_generations where partition_date = ?", [day]
    ).fetchone() or (0,)
    (rejected,) = con.execute(
        "select count(*) from rejected_generations where partition_date = ?", [day]
    ).fetchone() or (0,)
    return stored, rejected


def compare_day(con: duckdb.DuckDBPyConnection, day: date, counted: int) -> dg.AssetCheckResult:
    stored, rejected = _held(con, day)
    missing = counted - stored - rejected
    summary = (
        f"Langfuse counts {counted:,} generations for {day}; the warehouse holds {stored:,}"
        + (f" and rejected {rejected:,}" if rejected else "")
    )
    if missing > 0:
        summary += f": {missing:,} missing. {REFRESH_HINT} (README, Checks)"
    elif missing < 0:
        summary += " (more than Langfuse counts: deleted in Langfuse, or moved to another day)"
    return dg.AssetCheckResult(
        passed=missing <= 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "langfuse_generations": counted,
            "stored_generations": stored,
            "rejected_generations": rejected,
            "missing_generations": max(missing, 0),
            "summary": summary,
        },
    )


def _unavailable(error: CountUnavailable) -> dg.AssetCheckResult:
    # A Langfuse without the metrics API will never have one: not a warning every night.
    return dg.AssetCheckResult(
        passed=error.unsupported,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"summary": f"not checked: {error}"},
    )


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)  # partitioned checks (check_days.py)

    @dg.asset_check(
        asset="raw_generations",
        name="langfuse_count",
        partitions_def=daily_partitions,
        pool=WRITER_POOL,
        description="The warehouse holds (stored or rejected) every generation Langfuse's "
        "metrics API counts for the day; otherwise some were never listed to the loader.",
    )
    def langfuse_count(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        langfuse: LangfuseResource,
    ) -> dg.AssetCheckResult:
        window = context.partition_time_window
        try:
            counts = generations_per_day(
                langfuse.connection(), window.start.date(), window.end.date()
            )
        except CountUnavailable as error:
            unavailable = _unavailable(error)
            return check_each_day(context, warehouse, lambda _con, _day: unavailable)
        return check_each_day(
            context, warehouse, lambda con, day: compare_day(con, day, counts.get(day, 0))
        )
