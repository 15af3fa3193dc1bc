"""``llm_traffic``: synthetic LLM calls for a day, recorded in Langfuse and in ``traffic_log``.

Each materialization of partition D sends one *batch*: the workload's calls for D (planned from
the workload seed and the date, so the same calls every time), with generation start times
inside D, through the instrumented clients. By default they go to the provider simulator; real
providers only with LLM_TRAFFIC_MODE=live, capped at ``max_live_calls``.

Re-running D: the batch id is the Dagster run id. A retried step replaces its own batch in
``traffic_log`` (never doubles it). A new run for D sends a new batch, because those calls are
made again and Langfuse keeps both (it has no way to retract spans); ``traffic_log`` keeps both
batches too, so the canary check and the spend mart agree on what was sent for D.
"""

# No `from __future__ import annotations` here: Dagster reads the Config annotations at runtime.

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from cost_pipeline import settings
from cost_pipeline.partitions import daily_asset
from cost_pipeline.traffic.log_table import replace_batch
from cost_pipeline.traffic.targets import resolve_mode, resolve_targets
from cost_pipeline.traffic.workload import load_workload
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource

if TYPE_CHECKING:
    from cost_pipeline.traffic.runner import PartitionTraffic


class TrafficConfig(dg.Config):
    """Overrides of cost_pipeline/traffic/workload.yaml (None keeps the file's value)."""

    workload_path: str | None = None
    seed: int | None = None
    calls_per_partition: int | None = None
    stream_share: float | None = None
    unattributed_share: float | None = None
    users: int | None = None
    sessions_per_user: int | None = None
    mode: str | None = None  # "simulator" | "live"; default LLM_TRAFFIC_MODE, else simulator
    max_live_calls: int = 20  # live mode: never more real provider calls than this per day


def _summary(traffic: "PartitionTraffic") -> dict[str, dg.MetadataValue | int | float]:
    records = traffic.records
    by_owner = Counter((r.feature or "unattributed", r.team or "unattributed") for r in records)
    table = "\n".join(
        ["| feature | team | calls |", "| --- | --- | --- |"]
        + [f"| {f} | {t} | {n} |" for (f, t), n in sorted(by_owner.items())]
    )
    return {
        "planned_calls": traffic.planned,
        "sent_calls": len(records),
        "failed_calls": traffic.failed,
        "skipped_calls": traffic.skipped,
        "streamed_calls": sum(1 for r in records if r.recorded.stream),
        "usage_missing_calls": sum(1 for r in records if r.usage_missing),
        "total_tokens": sum(r.total_tokens for r in records),
        "expected_cost_usd": round(float(sum(r.expected_cost_usd or 0 for r in records)), 6),
        "calls_by_feature": dg.MetadataValue.md(table),
    }


@daily_asset(
    pool=WRITER_POOL,
    kinds={"python", "duckdb"},
    description="Synthetic OpenAI / Anthropic calls for the day (simulator unless "
    "LLM_TRAFFIC_MODE=live), recorded in Langfuse and logged in traffic_log.",
)
def llm_traffic(
    context: dg.AssetExecutionContext, config: TrafficConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    workload = load_workload(config.workload_path).with_overrides(
        seed=config.seed,
        calls_per_partition=config.calls_per_partition,
        stream_share=config.stream_share,
        unattributed_share=config.unattributed_share,
        users=config.users,
        sessions_per_user=config.sessions_per_user,
    )
    # The provider SDKs and Langfuse's (~75 MB, ~2 s to import) load only when traffic is sent,
    # not in every process that loads the code location (a raw_generations run, the UI).
    from cost_pipeline.assets.traffic_keys import check_langfuse_keys
    from cost_pipeline.traffic.runner import run_partition, traffic_langfuse

    targets = resolve_targets(resolve_mode(config.mode), max_live_calls=config.max_live_calls)
    context.log.info("llm_traffic: %s mode, %s", targets.mode, dict(targets.providers))
    connection = settings.langfuse_connection()
    langfuse = traffic_langfuse(connection)
    check_langfuse_keys(langfuse, connection)
    totals: Counter[str] = Counter()
    last: PartitionTraffic | None = None
    for key in context.partition_keys:
        day = date.fromisoformat(key)
        traffic = run_partition(
            workload, day, targets, batch_id=context.run.run_id, langfuse=langfuse
        )
        # The warehouse connection is held only for this write, never during HTTP calls.
        with warehouse.get_connection() as con:
            replace_batch(con, day, context.run.run_id, traffic.records)
        context.log.info(
            "%s: sent %s calls (%s failed, %s skipped)",
            key,
            len(traffic.records),
            traffic.failed,
            traffic.skipped,
        )
        totals.update(sent=len(traffic.records), failed=traffic.failed)
        last = traffic
    metadata = _summary(last) if last and len(context.partition_keys) == 1 else dict(totals)
    return dg.MaterializeResult(
        metadata={"mode": targets.mode, "batch_id": context.run.run_id, **metadata}
    )
