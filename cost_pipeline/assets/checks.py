"""Data quality checks on the spend chain, evaluated per daily partition (in range runs too:
check_days.py).

- ``raw_generations / unique_ids`` (ERROR, blocking): one row per observation id, no null ids,
  and no id also stored under a neighbouring day; duplicates would double-count spend
  downstream, so the chain stops.
- ``spend_by_feature_team / unattributed_share`` (WARN): share of the day's spend that has no
  feature or no team, above COST_PIPELINE_UNATTRIBUTED_WARN_SHARE (default 0.2).
- ``spend_by_feature_team / unpriced_calls`` (WARN): generations with neither a Langfuse cost nor
  a genai-prices rate, so cost_usd is a lower bound; lists the models to price.

Checks only read, but they open the same DuckDB file, so they run in the writer pool.
"""

from datetime import date, timedelta

import dagster as dg
import duckdb

from cost_pipeline import settings
from cost_pipeline.assets.check_days import daily_check
from cost_pipeline.sql.preview import markdown_table
from cost_pipeline.warehouse.cross_day import NEIGHBOUR_DAYS

UNATTRIBUTED = "unattributed"


def _window(day: date) -> dict[str, date]:
    return {"start": day, "end": day + timedelta(days=1)}


@daily_check(
    asset="raw_generations",
    name="unique_ids",
    blocking=True,
    description="Every generation id is not null and appears once in the partition and its "
    "neighbouring days.",
)
def unique_ids(con: duckdb.DuckDBPyConnection, day: date) -> dg.AssetCheckResult:
    rows, null_ids, duplicated, on_other_days, sample = con.execute(
        """
        with in_window as (
            select id from raw_generations
            where partition_date >= $start and partition_date < $end
        ),
        neighbours as (
            select id from raw_generations
            where partition_date >= $start - $days and partition_date < $start
                or partition_date >= $end and partition_date < $end + $days
        ),
        duplicates as (
            select id from in_window where id is not null group by id having count(*) > 1
        ),
        on_other_days as (
            select distinct id from in_window where id in (select id from neighbours)
        )
        select
            (select count(*) from in_window),
            (select count(*) from in_window where id is null),
            (select count(*) from duplicates),
            (select count(*) from on_other_days),
            (select list(id order by id)[1:10] from (from duplicates union from on_other_days))
        """,
        {**_window(day), "days": NEIGHBOUR_DAYS},
    ).fetchone()
    return dg.AssetCheckResult(
        passed=null_ids == 0 and duplicated == 0 and on_other_days == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": rows,
            "null_ids": null_ids,
            "duplicated_ids": duplicated,
            "ids_also_on_neighbouring_days": on_other_days,
            "sample_duplicates": ", ".join(sample or []) or "none",
        },
    )


@daily_check(
    asset="spend_by_feature_team",
    name="unattributed_share",
    description="Share of spend without a feature or a team stays under "
    "COST_PIPELINE_UNATTRIBUTED_WARN_SHARE (default 0.2).",
)
def unattributed_share(con: duckdb.DuckDBPyConnection, day: date) -> dg.AssetCheckResult:
    threshold = settings.unattributed_warn_share()
    total_cost, lost_cost, calls, lost_calls = con.execute(
        """
        select
            coalesce(sum(cost_usd), 0)::double,
            coalesce(sum(cost_usd) filter (where is_unattributed), 0)::double,
            coalesce(sum(calls), 0)::bigint,
            coalesce(sum(calls) filter (where is_unattributed), 0)::bigint
        from (
            select *, (feature = $unattributed or team = $unattributed) as is_unattributed
            from spend_by_feature_team
            where date >= $start and date < $end
        )
        """,
        {**_window(day), "unattributed": UNATTRIBUTED},
    ).fetchone()
    # With no priced spend at all, the share of calls is the best signal left.
    if total_cost:
        basis, share = "cost", lost_cost / total_cost
    elif calls:
        basis, share = "calls", lost_calls / calls
    else:
        basis, share = "no data", 0.0
    return dg.AssetCheckResult(
        passed=share <= threshold,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unattributed_share": round(share, 6),
            "threshold": threshold,
            "basis": basis,
            "unattributed_cost_usd": lost_cost,
            "total_cost_usd": total_cost,
            "unattributed_calls": lost_calls,
            "calls": calls,
        },
    )


@daily_check(
    asset="spend_by_feature_team",
    name="unpriced_calls",
    description="Every generation has a cost (from Langfuse or genai-prices); otherwise "
    "cost_usd is a lower bound. Says why each is unpriced: no price for its model, no usage, "
    "or usage under token keys the loader does not know. Also warns about calls whose Langfuse "
    "cost may be partial (langfuse_cost_partial) and what genai-prices would add for them.",
)
def unpriced_calls(con: duckdb.DuckDBPyConnection, day: date) -> dg.AssetCheckResult:
    window = _window(day)
    unpriced, calls = con.execute(
        "select coalesce(sum(unpriced_calls), 0)::bigint, coalesce(sum(calls), 0)::bigint "
        "from spend_by_feature_team where date >= $start and date < $end",
        window,
    ).fetchone()
    models = con.execute(
        "select coalesce(model, '(none)') as model, count(*) as calls from stg_generations "
        "where partition_date >= $start and partition_date < $end "
        "and cost_source = 'unpriced' group by all order by calls desc, model limit 10",
        window,
    ).fetchall()
    partial, partial_gap = con.execute(
        "select count(*), coalesce(sum(genai_prices_cost_usd - cost_usd), 0)::double "
        "from stg_generations where partition_date >= $start and partition_date < $end "
        "and langfuse_cost_partial",
        window,
    ).fetchone()
    reasons = con.execute(
        "select unpriced_reason, count(*) as calls from stg_generations "
        "where partition_date >= $start and partition_date < $end "
        "and cost_source = 'unpriced' group by all order by calls desc, unpriced_reason",
        window,
    ).fetchall()
    return dg.AssetCheckResult(
        passed=unpriced == 0 and partial == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unpriced_calls": unpriced,
            "calls": calls,
            "unpriced_models": dg.MetadataValue.md(markdown_table(["model", "calls"], models)),
            "unpriced_by_reason": {str(reason): int(count) for reason, count in reasons},
            "partial_langfuse_cost_calls": partial,
            "partial_langfuse_cost_gap_usd": round(partial_gap, 6),
            "summary": f"{unpriced} of {calls} calls unpriced"
            + "".join(f", {count} {reason}" for reason, count in reasons)
            + (
                f"; {partial} with a Langfuse cost that may miss token classes "
                f"(genai-prices: +{partial_gap:.6f} USD)"
                if partial
                else ""
            ),
        },
    )


spend_checks = [unique_ids, unattributed_share, unpriced_calls]
