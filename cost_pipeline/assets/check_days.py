"""Partitioned checks that give every day its own result, in one-day runs and range runs alike.

A backfill is one run over its range. Dagster plans a check result for each day of it, but a
check function returns one result, which Dagster files under no day at all; the days' planned
results would stay unresolved (shown as skipped). So each check is written for one day and run
here once per day of the window: every day gets the result a one-day run gives it, with the same
neighbouring days, and the run's own result says which days failed.
"""

import warnings
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import dagster as dg
import duckdb

from cost_pipeline.partitions import daily_partitions
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource

DayCheck = Callable[[duckdb.DuckDBPyConnection, date], dg.AssetCheckResult]
LISTED_DAYS = 31


def daily_check(**options: Any) -> Callable[[DayCheck], dg.AssetChecksDefinition]:
    """``dg.asset_check`` per daily partition, in the writer pool, from a check of one day.

    Checks only read, but they open the same DuckDB file, so they run in the writer pool.
    """

    def decorate(check_day: DayCheck) -> dg.AssetChecksDefinition:
        def check(
            context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
        ) -> dg.AssetCheckResult:
            return check_each_day(context, warehouse, check_day)

        # Partitioned checks are a "preview" feature in Dagster 1.13; we rely on them for
        # per-day results, so keep the warning out of every code-location load.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.asset_check(partitions_def=daily_partitions, pool=WRITER_POOL, **options)(
                check
            )

    return decorate


def check_each_day(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, check_day: DayCheck
) -> dg.AssetCheckResult:
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    with warehouse.get_connection(read_only=True) as con:
        results = {day: check_day(con, day) for day in days}
    # Dagster files a returned result under the run's `dagster/partition` tag only. A backfill
    # of one day (the UI's, or `--partition-range D...D`) is a range run without that tag: its
    # result would be filed under no day and the day's planned check shown as skipped.
    if len(results) == 1 and context.op_execution_context.has_partition_key:
        return results[first]
    (spec,) = context.check_specs
    for day, result in results.items():
        context.op_execution_context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                blocking=spec.blocking,
                partition=day.isoformat(),
            )
        )
    return _range_result(results)


def _range_result(results: Mapping[date, dg.AssetCheckResult]) -> dg.AssetCheckResult:
    failed = [day.isoformat() for day, result in results.items() if not result.passed]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=next(iter(results.values())).severity,  # each check has one severity
        metadata={
            "days": len(results),
            "failed_days": len(failed),
            "failed": ", ".join(failed[:LISTED_DAYS]) or "none",
            "note": "each day's own result is filed under its partition",
        },
    )
