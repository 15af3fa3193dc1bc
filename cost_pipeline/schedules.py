"""``daily_spend_job`` and ``daily_spend_schedule``.

At 01:00 UTC the schedule asks for two runs: yesterday (D-1) through the whole chain, and a refresh
of the day before (D-2) from ``raw_generations`` on, which picks up generations Langfuse made
visible late (spans are exported when they end; older SDKs lag ~10 minutes) without sending
synthetic traffic for that day a second time. Run keys include the tick, so D-2's refresh is not
deduplicated against the run that loaded it as D-1 the day before.

With COST_PIPELINE_SCHEDULE_TRAFFIC=false the D-1 run starts at ``raw_generations`` too (for
deployments that load only real application traffic).

A backfill of any range, from the UI or the shell, is one run (partitions.daily_asset).

Every run of the job carries the ``cost_pipeline/writes_warehouse`` tag, which the instance's
dagster.yaml limits to one run in progress: the two nightly runs go one after the other from the
run queue. Without it, on an instance whose ``duckdb_writer`` pool had no row yet, the daemon
started both, and the second kept a core busy polling for the slot until the first was done
(``bench/nightly_runs.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from cost_pipeline import settings
from cost_pipeline.partitions import daily_partitions
from cost_pipeline.warehouse.resource import WAREHOUSE_RUN_TAG

CHAIN = (
    "llm_traffic",
    "raw_generations",
    "stg_generations",
    "spend_by_feature_team",
    "spend_export",
)
REFRESH = CHAIN[1:]  # everything that re-reads Langfuse, not the synthetic traffic

daily_spend_job = dg.define_asset_job(
    name="daily_spend_job",
    selection=dg.AssetSelection.assets(*CHAIN),
    # Every step uses the one DuckDB writer pool anyway; in-process avoids a subprocess per
    # step (about 3x faster for a chain of small steps).
    executor_def=dg.in_process_executor,
    # The instance queues such runs one at a time (dagster.yaml): the schedule's second run
    # waits in the queue, not in a process polling for the pool slot.
    tags={WAREHOUSE_RUN_TAG: "true"},
    description="Traffic, incremental Langfuse load, SQL models and export for one day.",
)


@dg.schedule(
    cron_schedule="0 1 * * *",
    job=daily_spend_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="01:00 UTC: yesterday through the whole chain, plus a refresh of the day before.",
)
def daily_spend_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    tick = (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)
    existing = set(daily_partitions.get_partition_keys(current_time=tick))
    yesterday = (tick - timedelta(days=1)).date().isoformat()
    day_before = (tick - timedelta(days=2)).date().isoformat()
    tick_id = tick.strftime("%Y-%m-%dT%H:%MZ")
    requests = []
    if yesterday in existing:
        daily = CHAIN if settings.schedule_sends_traffic() else REFRESH
        requests.append(
            dg.RunRequest(
                partition_key=yesterday,
                run_key=f"daily:{yesterday}@{tick_id}",
                asset_selection=[dg.AssetKey(name) for name in daily],
                tags={"cost_pipeline/run": "daily"},
            )
        )
    if day_before in existing:
        requests.append(
            dg.RunRequest(
                partition_key=day_before,
                run_key=f"refresh:{day_before}@{tick_id}",
                asset_selection=[dg.AssetKey(name) for name in REFRESH],
                tags={"cost_pipeline/run": "late-data-refresh"},
            )
        )
    return requests
