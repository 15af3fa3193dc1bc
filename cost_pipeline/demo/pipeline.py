"""Run daily_spend_job for a list of days in this process, with a progress display.

The demo's traffic is backdated into past days, so it reaches Langfuse long after the start
times the loader's lookback expects. Two rules keep a second ``make demo`` exact: a day that
already has a batch in ``traffic_log`` gets no new traffic, and every day is re-read whole
(``full_refresh``), which costs nothing at the demo's ~120 calls a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cost_pipeline.traffic.log_table import days_with_batches
from cost_pipeline.warehouse.reader import WarehouseMissing, read_only_connection

TRAFFIC = [dg.AssetKey("llm_traffic")]
CHAIN = [
    dg.AssetKey(name)
    for name in ("raw_generations", "stg_generations", "spend_by_feature_team", "spend_export")
]
# Dagster's own step-by-step log would bury the progress display; warnings still show.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
WHOLE_DAY = {**QUIET, "ops": {"raw_generations": {"config": {"full_refresh": True}}}}


@dataclass
class ChainOutcome:
    rows_loaded: int = 0
    failed_checks: list[str] = field(default_factory=list)


def run_days(days: list[date], console: Console, instance: dg.DagsterInstance) -> ChainOutcome:
    """Run llm_traffic for the days without traffic yet, then the chain for every day."""
    from cost_pipeline.definitions import defs  # imports every asset: only when running

    sent_before = days_with_traffic(days)
    if sent_before:
        console.print(
            f"{len(sent_before)} of these days already have traffic from an earlier demo "
            "(traffic_log); no more is sent to them. `make clean` starts over."
        )

    job = defs.resolve_job_def("daily_spend_job")
    outcome = ChainOutcome()
    # The workload injects provider faults on purpose (responses without usage, 429s); their
    # per-call warnings would scroll the progress display away. Counts are in the metadata.
    logging.getLogger("cost_pipeline.llm").setLevel(logging.ERROR)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[day]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        unsent = [day for day in days if day not in sent_before]
        traffic = progress.add_task("llm_traffic: simulated LLM calls", total=len(unsent), day="")
        for day in unsent:
            progress.update(traffic, day=day.isoformat())
            _run(job, instance, day, TRAFFIC, QUIET)
            progress.advance(traffic)
        chain = progress.add_task("load, model, export", total=len(days), day="")
        for day in days:
            progress.update(chain, day=day.isoformat())
            result = _run(job, instance, day, CHAIN, WHOLE_DAY)
            outcome.rows_loaded += _rows_loaded(result)
            outcome.failed_checks += [
                f"{day} {e.asset_key.to_user_string()}:{e.check_name} ({e.severity.value})"
                + (f": {e.metadata['summary'].value}" if "summary" in e.metadata else "")
                for e in result.get_asset_check_evaluations()
                if not e.passed
            ]
            progress.advance(chain)
    return outcome


def days_with_traffic(days: list[date]) -> set[date]:
    """Days an earlier demo (or llm_traffic run) already sent calls for, from the warehouse."""
    try:
        with read_only_connection() as con:
            return days_with_batches(con, days[0], days[-1])
    except WarehouseMissing:
        return set()


def _run(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    day: date,
    selection: list[dg.AssetKey],
    run_config: dict,
) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        partition_key=day.isoformat(),
        asset_selection=selection,
        run_config=run_config,
        instance=instance,
        tags={"cost_pipeline/run": "demo"},
    )


def _rows_loaded(result: dg.ExecuteInProcessResult) -> int:
    events = result.asset_materializations_for_node("raw_generations")
    if not events:
        return 0
    value = events[0].metadata.get("rows_loaded")
    return int(value.value) if value is not None else 0
