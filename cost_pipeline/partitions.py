"""The one daily partitioning (UTC) shared by every asset of the chain."""

from __future__ import annotations

import os

import dagster as dg

# Overridable so a deployment can backfill further back than the default history.
PARTITIONS_START_DATE = os.environ.get("COST_PIPELINE_START_DATE", "2026-01-01")

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START_DATE, timezone="UTC")
