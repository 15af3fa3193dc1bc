"""Load one day of generations: plan from the ingest state, run the pipeline, record the outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

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
from cost_pipeline.settings import attribution_keys
from cost_pipeline.warehouse.cross_day import CrossDayResult, settle_cross_day_copies
from cost_pipeline.warehouse.cross_day import describe as describe_cross_day
from cost_pipeline.warehouse.load_memory import LoadMemory
from cost_pipeline.warehouse.loading_session import for_loading
from cost_pipeline.warehouse.plan import RESUMED, LoadPlan, WindowTask, plan_load
from cost_pipeline.warehouse.prices import refresh_model_prices
from cost_pipeline.warehouse.quality import InputQuality, describe, input_quality
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.spool import PageSpool
from cost_pipeline.warehouse.state import (
    COMPLETE,
    FAILED,
    ZERO_COUNTERS,
    LoadCounters,
    RunRecord,
    finish_load,
    read_state,
    record_run,
    resume_load,
    start_load,
)


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
    plan, counters = _begin(day, loading, options, started_at)
    log.info(
        f"raw_generations {day}: {plan.mode} load of [{plan.window_from}, {plan.window_to}) "
        f"in {len(plan.windows)} window(s)"
    )
    with open_client() as client, PageSpool(options.spool_dir) as spool:
        pipeline = IngestPipeline(
            day, client, loading, spool, options.pipeline, log, counters, memory
        )
        try:
            restarts = _run_with_restarts(pipeline, plan, loading, options, client)
        except BaseException as exc:
            error = scrub(f"{type(exc).__name__}: {exc}", _keys(client))
            _record_end(loading, pipeline, plan, run_id, started_at, t0, FAILED, error, log)
            raise
        end = _record_end(loading, pipeline, plan, run_id, started_at, t0, COMPLETE, None, log)
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
    )


def _begin(
    day: date, warehouse: WarehouseResource, options: LoadOptions, now: datetime
) -> tuple[LoadPlan, LoadCounters]:
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        state = read_state(conn, day)
        plan = plan_load(
            state,
            day,
            full_refresh=options.full_refresh,
            lookback=options.lookback,
            sub_windows=options.sub_windows,
        )
        if plan.mode == RESUMED and state is not None:
            resume_load(conn, day, now)
            return plan, state.counters
        start_load(conn, day, plan.mode, [(w.window_from, w.window_to) for w in plan.windows], now)
        return plan, ZERO_COUNTERS


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
            tasks = _open_windows(warehouse, plan.day)


def _open_windows(warehouse: WarehouseResource, day: date) -> tuple[WindowTask, ...]:
    with warehouse.get_connection(read_only=False) as conn:
        state = read_state(conn, day)
    if state is None:
        return ()
    return tuple(
        WindowTask(w.window_from, w.window_to, w.next_cursor) for w in state.windows if w.is_open
    )


@dataclass(frozen=True)
class _LoadEnd:
    partition_rows: int = 0
    partition_langfuse_cost: Decimal = Decimal(0)
    models_priced: int = 0
    quality: InputQuality = field(default_factory=InputQuality)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    cross_day: CrossDayResult = field(default_factory=lambda: CrossDayResult({}))


def _record_end(
    warehouse: WarehouseResource,
    pipeline: IngestPipeline,
    plan: LoadPlan,
    run_id: str,
    started_at: datetime,
    t0: float,
    status: str,
    error: str | None,
    log: Log,
) -> _LoadEnd:
    """Close the load in the state and the run history; on success price the day's models."""
    now, duration = utc_now(), time.monotonic() - t0
    day, counters, totals = plan.day, pipeline.counters, pipeline.totals
    api = pipeline.client.stats.snapshot()
    try:
        with warehouse.get_connection() as conn:
            pipeline.memory.apply(conn)
            priced = refresh_model_prices(conn, day, now) if status == COMPLETE else 0
            cross_day = CrossDayResult({})
            if status == COMPLETE:
                cross_day = pipeline.memory.run(
                    conn,
                    lambda: settle_cross_day_copies(conn, day),
                    f"raw_generations {day}: one copy per generation across neighbouring days",
                    log.warning,
                )
            finish_load(conn, day, status, now, duration, error)
            record_run(
                conn,
                RunRecord(
                    run_id=run_id,
                    partition_date=day,
                    mode=plan.mode,
                    status=status,
                    window_from=plan.window_from,
                    window_to=plan.window_to,
                    pages=totals.pages,
                    rows_loaded=totals.rows_loaded,
                    rows_new=totals.rows_new,
                    rows_rejected=totals.rows_rejected,
                    api_requests=int(api["requests"]),
                    api_bytes=int(api["bytes"]),
                    retries=int(api["retries"]),
                    retry_wait_s=float(api["retry_wait_s"]),
                    started_at=started_at,
                    finished_at=now,
                    duration_s=duration,
                    error=error,
                ),
            )
            # Reasons without the offending value, so each kind of problem is one log line.
            reasons = conn.execute(
                "select split_part(reason, ': ', 1), count(*) from rejected_generations "
                "where partition_date = ? and loaded_at >= ? group by 1 order by 2 desc",
                [day, started_at],
            ).fetchall()
            rows, cost = conn.execute(
                "select count(*), coalesce(sum(langfuse_total_cost), 0) from raw_generations "
                "where partition_date = ?",
                [day],
            ).fetchone()
            quality = pipeline.memory.run(
                conn,
                lambda: input_quality(
                    conn,
                    day,
                    started_at,
                    attribution_keys(),
                    rows_accepted=totals.rows_received - totals.rows_rejected,
                ),
                f"raw_generations {day}: counting odd input",
                log.warning,
            )
    except Exception as exc:
        if status == COMPLETE:
            raise
        # Do not hide the original failure behind a bookkeeping one.
        log.warning(f"raw_generations {day}: could not record the failure ({exc})")
        return _LoadEnd()
    if status == COMPLETE and totals.rows_rejected:
        for reason, count in reasons:
            log.warning(
                f"raw_generations {day}: {count} row(s) rejected: {reason} "
                f"(rows are in rejected_generations)"
            )
    if status == COMPLETE:
        for line in [*describe_cross_day(day, cross_day), *describe(quality)]:
            log.warning(f"raw_generations {day}: {line}")
        log.info(
            f"raw_generations {day}: done in {duration:.1f}s: {totals.rows_loaded:,} rows "
            f"({totals.rows_new:,} new, {totals.rows_rejected} rejected), {totals.pages} pages, "
            f"{int(api['requests'])} requests, {counters.rows_loaded:,} rows in this load so far"
        )
    return _LoadEnd(
        partition_rows=int(rows),
        partition_langfuse_cost=Decimal(cost),
        models_priced=priced,
        quality=quality,
        rejected_by_reason={str(reason): int(count) for reason, count in reasons},
        cross_day=cross_day,
    )


def _keys(client: ObservationsClient) -> tuple[str, str]:
    return (client.connection.secret_key, client.connection.public_key)
