"""The one daily partitioning (UTC) shared by every asset of the chain, and how ranges of it run."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg

from cost_pipeline import settings

# Overridable so a deployment can backfill further back than the default history.
PARTITIONS_START_DATE = settings.partitions_start_date()

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START_DATE, timezone="UTC")


def daily_asset(**options: Any) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """``dg.asset`` partitioned by day, where a backfill of any range is one run.

    Every asset of the chain handles a range of days in one step, so a backfill (from the UI,
    or `dagster asset materialize --partition-range`) is one run: a 30-day backfill took 24.4 s
    as one run against 166 s as a run per day, mostly process starts (BENCHMARKS.md).
    """

    def decorate(fn: Callable[..., Any]) -> dg.AssetsDefinition:
        # Dagster 1.13 calls `backfill_policy` beta and warns at every definition; keep that
        # out of every code-location load.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.BetaWarning)
            return dg.asset(
                partitions_def=daily_partitions,
                backfill_policy=dg.BackfillPolicy.single_run(),
                **options,
            )(fn)

    return decorate


def observe_each_day(
    context: dg.AssetExecutionContext, figures_by_day: Mapping[str, Mapping[str, Any]]
) -> None:
    """In a range run Dagster copies the materialization's metadata onto every day of the
    range; an observation per day keeps that day's own figures. Nothing for a one-day run."""
    if len(context.partition_keys) < 2:
        return
    for day, figures in figures_by_day.items():
        context.log_event(
            dg.AssetObservation(asset_key=context.asset_key, partition=day, metadata=dict(figures))
        )
