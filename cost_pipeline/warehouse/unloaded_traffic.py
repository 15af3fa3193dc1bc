"""Synthetic calls ``llm_traffic`` logged for a day that the day's loads have not stored yet.

``llm_traffic`` backdates its calls over the whole day. Sent again for a day already loaded
("Materialize all", "re-execute all" of a failed daily run, a backfill of ``daily_spend_job``),
most of them start before the incremental window (latest start time minus the lookback), and the
load in the same run would miss them. The load reads from the earliest of them instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from cost_pipeline.warehouse.tables import table_exists


@dataclass(frozen=True)
class UnloadedTraffic:
    calls: int
    earliest_start: datetime


def unloaded_traffic(con: duckdb.DuckDBPyConnection, day: date) -> UnloadedTraffic | None:
    """The day's logged calls found neither in raw_generations nor rejected, if any."""
    if not table_exists(con, "traffic_log"):
        return None
    calls, earliest = con.execute(
        """
        select count(*), min(t.start_time)
        from traffic_log t
        where t.partition_date = $day
          and not exists (
              select 1 from raw_generations r
              where r.partition_date = $day and r.id = t.observation_id)
          and not exists (
              select 1 from rejected_generations j
              where j.partition_date = $day and j.id = t.observation_id)
        """,
        {"day": day},
    ).fetchone()
    return UnloadedTraffic(calls, earliest) if calls else None
