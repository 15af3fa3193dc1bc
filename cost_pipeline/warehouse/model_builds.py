"""Which raw rows each day of a table model was built from, and the days a mart no longer
matches.

A day's raw rows are fingerprinted by their number and their newest ``loaded_at``: the loader
gives every batch a ``loaded_at`` newer than any stored, and rows only leave a day with a batch
that adds rows or by moving to another day, so any load that changed the day changes one of the
two. Counts alone miss a reload that replaced rows one for one (updated costs, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from cost_pipeline.warehouse.tables import table_exists
from cost_pipeline.warehouse.transaction import transaction

_RAW_DAYS = """
select
    day::date as partition_date,
    count(raw.id) as generations,
    max(raw.loaded_at) as newest_loaded_at
from range($start::timestamp, $end::timestamp, interval 1 day) as days(day)
left join raw_generations as raw on raw.partition_date = day::date
group by all
"""


def record_builds(con: duckdb.DuckDBPyConnection, model: str, start: date, end: date) -> None:
    """Record what the days ``[start, end)`` of ``model`` were just built from.

    Call it on the connection that built them: the warehouse file takes one writing process at
    a time, so no load can come in between.
    """
    window = {"start": start, "end": end}
    with transaction(con):
        con.execute(
            "delete from model_builds where model = $model "
            "and partition_date >= $start and partition_date < $end",
            {"model": model, **window},
        )
        con.execute(
            f"insert into model_builds by name select $model as model, *, "
            f"$built_at as built_at from ({_RAW_DAYS})",
            {"model": model, "built_at": datetime.now(UTC).replace(tzinfo=None), **window},
        )


@dataclass(frozen=True)
class StaleDay:
    day: date
    generations: int  # stored now
    calls: int  # counted by the mart
    reloaded: bool  # loaded again since the build, whatever the counts say
    built_at: datetime | None = None  # when the mart was last built for it (UTC), if recorded

    def describe(self) -> str:
        if self.generations != self.calls:
            return f"{self.day} ({self.calls} calls counted, {self.generations} generations stored)"
        return f"{self.day} (loaded again since it was built; {self.generations} generations)"


# The mart's days that do not count every generation stored for them, or whose generations
# were loaded again since the build that counted them. A day built before builds were recorded
# has no row in model_builds: only its counts are compared.
_STALE_DAYS_SQL = """
with

stored as (
    select partition_date as day, count(*) as generations, max(loaded_at) as newest_loaded_at
    from raw_generations
    where partition_date in (select unnest($days))
    group by all
),

counted as (
    select date as day, sum(calls) as calls
    from {mart}
    where date in (select unnest($days))
    group by all
),

built as (
    select partition_date as day, generations, newest_loaded_at, built_at
    from {builds}
    where model = $mart and partition_date in (select unnest($days))
),

compared as (
    select
        day,
        coalesce(stored.generations, 0) as generations,
        coalesce(counted.calls, 0) as calls,
        built.day is not null and (
            built.generations <> coalesce(stored.generations, 0)
            or built.newest_loaded_at is distinct from stored.newest_loaded_at
        ) as reloaded,
        built.built_at
    from (select unnest($days) as day) as days
    left join stored using (day)
    left join counted using (day)
    left join built using (day)
)

select day, generations, calls, reloaded, built_at
from compared
where generations <> calls or reloaded
order by day
"""

# Stands in for model_builds in a warehouse no build has recorded into yet (read-only: the
# export cannot create it).
_NO_BUILDS = (
    "(select null::varchar as model, null::date as partition_date, null::bigint as "
    "generations, null::timestamp as newest_loaded_at, null::timestamp as built_at where false)"
)


def stale_days(con: duckdb.DuckDBPyConnection, mart: str, days: list[date]) -> list[StaleDay]:
    builds = "model_builds" if table_exists(con, "model_builds") else _NO_BUILDS
    rows = con.execute(
        _STALE_DAYS_SQL.format(mart=mart, builds=builds), {"days": days, "mart": mart}
    ).fetchall()
    return [StaleDay(*row) for row in rows]
