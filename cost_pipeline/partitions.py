"""The one daily partitioning (UTC) shared by every asset of the chain, and how ranges of it run."""

from __future__ import annotations

import os
import warnings

import dagster as dg

# Overridable so a deployment can backfill further back than the default history.
PARTITIONS_START_DATE = os.environ.get("COST_PIPELINE_START_DATE", "2026-01-01")

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START_DATE, timezone="UTC")

# Every asset of the chain handles a range of days in one step, so a backfill runs as one run
# (UI backfills, and `dagster asset materialize --partition-range` in the shell). One run per
# day paid for a process start and a pool wait per day: 10 days took 67 s as 10 runs and 28.5 s
# as one (BENCHMARKS.md), and runs waiting for the writer pool keep a core busy in Dagster 1.13.
backfill_as_one_run = dg.BackfillPolicy.single_run()
# Dagster 1.13 calls the `backfill_policy` parameter beta and warns at every asset definition;
# this keeps that one warning out of every code-location load (the modules import this first).
warnings.filterwarnings(
    "ignore", message="Parameter `backfill_policy` of function", category=dg.BetaWarning
)
