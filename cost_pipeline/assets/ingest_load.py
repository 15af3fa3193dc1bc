"""Load one day of generations: plan from the ingest state, run the pipeline, record the outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from cost_pipeline.assets.ingest_end import record_end
from cost_pipeline.assets.ingest_pipeline import IngestPipeline
from cost_pipeline.assets.ingest_types import (
    CorruptPages,
    Log,
    PipelineOptions,
    PipelineTotals,
    utc_now,
)
from cost_pipeline.langfuse import InvalidPageError, ObservationsClient
from cost_pipeline.langfuse.secrets import scrub
from cost_pipeline.warehouse.load_memory import LoadMemory
from cost_pipeline.warehouse.loading_session import for_loading
from cost_pipeline.warehouse.plan import INCREMENTAL, RESUMED, LoadPlan, WindowTask, plan_load
from cost_pipeline.warehouse.quality import InputQuality
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.spool import PageSpool
from cost_pipeline.warehouse.state import (
    COMPLETE,
    FAILED,
    ZERO_COUNTERS,
    LoadCounters,
    read_state,
    resume_load,
    start_load,
)
from cost_pipeline.warehouse.unloaded_traffic import UnloadedTraffic, unloaded_traffic
from cost_pipeline.warehouse.vanished_load import record_vanished_load


@dataclass(frozen=True)
class LoadOptions:
    full_refresh: bool = False
    lookback: timedelta = timedelta(hours=2)
    sub_windows: int = 1
    pipeline: PipelineOptions = field(default_factory=PipelineOptions)
    max_corrupt_restarts: int = 5
    spool_dir: str | None = None


@dataclass(frozen=True)
class PartitionReport:
    day: date
    mode: str
    window_from: datetime
    window_to: datetime
    totals: PipelineTotals
    api: dict[str, float]  # this run's requests, bytes, retries, retry_wait_s, throttled
    duration_s: float
    partition_rows: int
    partition_langfuse_cost: Decimal
    models_priced: int
    restarts: int
    quality: InputQuality = field(default_factory=InputQuality)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    older_copies_removed: dict[date, int] = field(default_factory=dict)
    # An earlier attempt of the day that ended without an outcome (killed), recorded by this load.
    interrupted_load: str | None = None


def load_partition(
    day: date,
    *,
    open_client: Callable[[], ObservationsClient],
    warehouse: WarehouseResource,
    options: LoadOptions,
    log: Log,
    run_id: str = "",
) -> PartitionReport:
    started_at, t0 = utc_now(), time.monotonic()
    # Bounded memory, one DuckDB thread per query.
    loading = for_loading(warehouse)
    memory = LoadMemory(loading.user_memory_limit)
    plan, counters, traffic, vanished = _begin(day, loading, options, started_at, run_id)
    if vanished is not None:
        # Said where the user looks first; the same text is the vanished attempt's ingest_runs row.
        after = "resumed" if plan.mode == RESUMED else f"{plan.mode} load"
        log.warning(f"raw_generations {day}: {after} after an interrupted load: {vanished}")
    if traffic is not None and plan.mode == INCREMENTAL:
        log.info(
            f"raw_generations {day}: {traffic.calls} call(s) llm_traffic logged for the day are "
            f"not loaded yet, the earliest started at {traffic.earliest_start}: reading from there"
        )
    log.info(
        f"raw_generations {day}: {plan.mode} load of [{plan.window_from}, {plan.window_to}) "
        f"in {len(plan.windows)} window(s)"
    )
    with open_client() as client, PageSpool(options.spool_dir) as spool:
        if spool.removed_leftovers:
            log.info(
                f"removed {len(spool.removed_leftovers)} page spool folder(s) left by loads that "
                f"were killed, in {spool.directory.parent}"
            )
        pipeline = IngestPipeline(
            day, client, loading, spool, options.pipeline, log, counters, memory
        )
        try:
            restarts = _run_with_restarts(pipeline, plan, loading, options, client)
        except BaseException as exc:
            error = scrub(failure_text(exc), _keys(client))
            record_end(loading, pipeline, plan, run_id, started_at, t0, FAILED, error, log)
            raise
        end = record_end(loading, pipeline, plan, run_id, started_at, t0, COMPLETE, None, log)
        api = client.stats.snapshot()
    return PartitionReport(
        day=day,
        mode=plan.mode,
        window_from=plan.window_from,
        window_to=plan.window_to,
        totals=pipeline.totals,
        api=api,
        duration_s=time.monotonic() - t0,
        partition_rows=end.partition_rows,
        partition_langfuse_cost=end.partition_langfuse_cost,
        models_priced=end.models_priced,
        restarts=restarts,
        quality=end.quality,
        rejected_by_reason=end.rejected_by_reason,
        older_copies_removed=end.cross_day.removed_by_day,
        interrupted_load=vanished,
    )


def failure_text(exc: BaseException) -> str:
    """What ``ingest_runs.error`` says about a failed load. Interrupts (a run terminated from the
    UI, Ctrl-C, the process told to exit) carry no message of their own."""
    message = str(exc).strip()
    if message:
        return f"{type(exc).__name__}: {message}"
    if not isinstance(exc, Exception):
        return (
            f"{type(exc).__name__}: the load was stopped before it ended (the run terminated "
            "or the process told to exit); the next load resumes from its last checkpoint"
        )
    return f"{type(exc).__name__} (no message)"


def _begin(
    day: date, warehouse: WarehouseResource, options: LoadOptions, now: datetime, run_id: str
) -> tuple[LoadPlan, LoadCounters, UnloadedTraffic | None, str | None]:
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        state = read_state(conn, day)
        traffic = unloaded_traffic(conn, day)
        plan = plan_load(
            state,
            day,
            full_refresh=options.full_refresh,
            lookback=options.lookback,
            sub_windows=options.sub_windows,
            reread_from=traffic.earliest_start if traffic else None,
        )
        vanished = record_vanished_load(conn, state, plan.mode, run_id, now)
        if plan.mode == RESUMED and state is not None:
            resume_load(conn, day, now, run_id=run_id or None)
            return plan, state.counters, traffic, vanished
        windows = [(w.window_from, w.window_to) for w in plan.windows]
        start_load(conn, day, plan.mode, windows, now, run_id=run_id or None)
        return plan, ZERO_COUNTERS, traffic, vanished


def _run_with_restarts(
    pipeline: IngestPipeline,
    plan: LoadPlan,
    warehouse: WarehouseResource,
    options: LoadOptions,
    client: ObservationsClient,
) -> int:
    """Run the plan; after corrupt pages, continue from the committed checkpoints."""
    tasks, restarts = plan.windows, 0
    while True:
        try:
            pipeline.run(tasks)
            return restarts
        except CorruptPages as exc:
            restarts += 1
            problem = f"{len(exc.pages)} page(s) of {plan.day} were not valid JSON"
            if restarts > options.max_corrupt_restarts:
                raise InvalidPageError(
                    f"{problem} {restarts} times in a row; the load stops with its checkpoint "
                    f"kept (cursor {exc.pages[0].request_cursor!r}). Re-run to resume."
                ) from exc
            client.wait_before_retry(restarts, problem)
            tasks = _open_windows(warehouse, plan)


def _open_windows(warehouse: WarehouseResource, plan: LoadPlan) -> tuple[WindowTask, ...]:
    with warehouse.get_connection(read_only=False) as conn:
        state = read_state(conn, plan.day)
    if state is None:
        return ()
    # A cursor this load has not moved past is still the one an earlier load saved; any other
    # was handed out in this load, and Langfuse refusing it is a fault to report, not to heal.
    saved_earlier = {(t.window_from, t.cursor) for t in plan.windows if t.cursor_saved_earlier}
    return tuple(
        WindowTask(
            w.window_from,
            w.window_to,
            w.next_cursor,
            (w.window_from, w.next_cursor) in saved_earlier,
        )
        for w in state.windows
        if w.is_open
    )


def _keys(client: ObservationsClient) -> tuple[str, str]:
    return (client.connection.secret_key, client.connection.public_key)
