"""Canary on ``spend_by_feature_team``: every synthetic call arrived with its exact tokens.

``llm_traffic`` logs each call it sent (observation id, tokens per class) in ``traffic_log``;
this check proves that each of the partition's calls is in ``raw_generations``, in the same
day, with the same token classes: end to end through Langfuse, the loader and the models. It
reads only, in the writer pool (DuckDB allows one process per file). Days without synthetic
traffic, or deployments that never run ``llm_traffic``, pass with nothing to check.
"""

from datetime import date, timedelta

import dagster as dg
import duckdb

from cost_pipeline.assets.check_days import daily_check
from cost_pipeline.traffic.canary import CanaryResult, compare

LISTED_IDS = 25


def _metadata(result: CanaryResult) -> dict[str, dg.MetadataValue | int | str]:
    metadata: dict[str, dg.MetadataValue | int | str] = {
        "checked_calls": result.checked,
        "missing_calls": len(result.missing),
        "mismatched_calls": len(result.mismatched),
        "wrong_day_calls": len(result.wrong_day),
        "missing_ids": ", ".join(result.missing[:LISTED_IDS]) or "none",
        "wrong_day_ids": ", ".join(result.wrong_day[:LISTED_IDS]) or "none",
    }
    if result.mismatched:
        lines = ["| observation id | sent -> arrived |", "| --- | --- |"]
        lines += [
            f"| {m.observation_id} | {m.differences()} |" for m in result.mismatched[:LISTED_IDS]
        ]
        metadata["mismatched_ids"] = dg.MetadataValue.md("\n".join(lines))
    else:
        metadata["mismatched_ids"] = "none"
    if not result.traffic_logged:
        metadata["note"] = "no traffic_log table: llm_traffic has not run here"
    if not result.passed:
        metadata["summary"] = _summary(result)
    return metadata


def _summary(result: CanaryResult) -> str:
    problems = [
        f"{len(ids)} {what}"
        for ids, what in [
            (result.missing, "missing from raw_generations"),
            (result.wrong_day, "loaded under another day"),
            (result.mismatched, "with other token counts than sent"),
        ]
        if ids
    ]
    summary = f"of {result.checked} calls sent: " + ", ".join(problems)
    if result.missing:
        # llm_traffic backdates its calls: a batch sent for a day that was loaded already lies
        # before the incremental load's lookback window.
        summary += (
            "; if llm_traffic ran again after this day was loaded, materialize raw_generations "
            'for it with {"full_refresh": true}'
        )
    return summary


@daily_check(
    asset="spend_by_feature_team",
    name="synthetic_traffic_canary",
    description="Every llm_traffic call of the day is in raw_generations, in that day, "
    "with exactly the tokens per class that it was sent with.",
)
def synthetic_traffic_canary(con: duckdb.DuckDBPyConnection, day: date) -> dg.AssetCheckResult:
    result = compare(con, day, day + timedelta(days=1))
    return dg.AssetCheckResult(
        passed=result.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=_metadata(result)
    )
