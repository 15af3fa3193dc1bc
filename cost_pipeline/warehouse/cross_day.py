"""One copy per generation across neighbouring days.

A generation whose start time changes across midnight (an SDK re-reporting a span, a clock fixed
later) is listed by Langfuse under its new day, and may still be listed under its old one. Each
day's batches keep ids unique within the day (single_pass.py, upsert.py); this keeps them unique
across the day and its neighbours, so the spend is counted once. The copy Langfuse updated last
wins, then the one loaded last: the winner does not depend on which day was loaded first.

Only the neighbouring days are compared: a start time that moves by more than a day is not
something the SDKs do, and comparing the whole table would grow every load with the warehouse.
The ``unique_ids`` check compares the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from cost_pipeline.warehouse.transaction import transaction

NEIGHBOUR_DAYS = 1

_LOSERS_SQL = """
create or replace temp table cross_day_losers as
with neighbours as (
    select id, partition_date, updated_at, loaded_at
    from raw_generations
    where partition_date between $first and $last and partition_date <> $day
),

here as (
    select id, partition_date, updated_at, loaded_at
    from raw_generations
    where partition_date = $day and id in (select id from neighbours)
),

copies as (
    select * from here
    union all
    select * from neighbours where id in (select id from here)
),

ranked as (
    select
        *,
        row_number() over (
            partition by id
            order by updated_at desc nulls last, loaded_at desc, partition_date desc
        ) as copy_rank
    from copies
)

select id, partition_date, loaded_at from ranked where copy_rank > 1
"""

_DELETE_SQL = """
delete from raw_generations as r
using cross_day_losers as l
where r.partition_date between $first and $last
    and r.id = l.id
    and r.partition_date = l.partition_date
    and r.loaded_at = l.loaded_at
"""


@dataclass(frozen=True)
class CrossDayResult:
    removed_by_day: dict[date, int]

    @property
    def removed(self) -> int:
        return sum(self.removed_by_day.values())


def settle_cross_day_copies(conn: duckdb.DuckDBPyConnection, day: date) -> CrossDayResult:
    """Delete every copy but the newest of ids on ``day`` that neighbouring days also hold."""
    days = {
        "day": day,
        "first": day - timedelta(days=NEIGHBOUR_DAYS),
        "last": day + timedelta(days=NEIGHBOUR_DAYS),
    }
    with transaction(conn):
        conn.execute(_LOSERS_SQL, days)
        removed = conn.execute(
            "select partition_date, count(*) from cross_day_losers group by 1 order by 1"
        ).fetchall()
        if removed:
            conn.execute(_DELETE_SQL, {"first": days["first"], "last": days["last"]})
        conn.execute("drop table cross_day_losers")
    return CrossDayResult({partition_date: int(count) for partition_date, count in removed})


def describe(day: date, result: CrossDayResult) -> list[str]:
    """A warning for the run log: which days lost a copy, and what to re-run."""
    if not result.removed:
        return []
    where = ", ".join(f"{count} from {other}" for other, count in result.removed_by_day.items())
    line = (
        f"{result.removed} generation(s) were stored under two days (their start time moved "
        f"across midnight in Langfuse); kept the copy Langfuse updated last and removed the "
        f"older one(s): {where}"
    )
    others = [other.isoformat() for other in result.removed_by_day if other != day]
    if others:
        line += (
            f". Re-materialize spend_by_feature_team and spend_export for {', '.join(others)} "
            "so that spend no longer counts them"
        )
    return [line]
