"""The end of a load: close it in the ingest state and the run history, and on success price the
day's models, keep one copy of each generation across neighbouring days and count odd input."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from cost_pipeline.assets.ingest_pipeline import IngestPipeline
from cost_pipeline.assets.ingest_types import Log, utc_now
from cost_pipeline.settings import attribution_keys
from cost_pipeline.warehouse.cross_day import CrossDayResult, settle_cross_day_copies
from cost_pipeline.warehouse.cross_day import describe as describe_cross_day
from cost_pipeline.warehouse.plan import LoadPlan
from cost_pipeline.warehouse.prices import refresh_model_prices
from cost_pipeline.warehouse.quality import InputQuality, describe, input_quality
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.state import COMPLETE, RunRecord, finish_load, record_run


@dataclass(frozen=True)
class LoadEnd:
    """What a load's end found about the day, for its report."""

    partition_rows: int = 0
    partition_langfuse_cost: Decimal = Decimal(0)
    models_priced: int = 0
    quality: InputQuality = field(default_factory=InputQuality)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    cross_day: CrossDayResult = field(default_factory=lambda: CrossDayResult({}))


def record_end(
    warehouse: WarehouseResource,
    pipeline: IngestPipeline,
    plan: LoadPlan,
    run_id: str,
    started_at: datetime,
    t0: float,
    status: str,
    error: str | None,
    log: Log,
) -> LoadEnd:
    """Close the load in the state and the run history; on success price the day's models."""
    now, duration = utc_now(), time.monotonic() - t0
    day, counters, totals = plan.day, pipeline.counters, pipeline.totals
    api = pipeline.client.stats.snapshot()
    try:
        with warehouse.get_connection() as conn:
            pipeline.memory.apply(conn)
            priced = 0
            if status == COMPLETE:
                priced = refresh_model_prices(conn, day, day + timedelta(days=1), now)
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
        return LoadEnd()
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
    return LoadEnd(
        partition_rows=int(rows),
        partition_langfuse_cost=Decimal(cost),
        models_priced=priced,
        quality=quality,
        rejected_by_reason={str(reason): int(count) for reason, count in reasons},
        cross_day=cross_day,
    )
