"""The ``raw_generations`` asset: Langfuse generations of each UTC day, loaded incrementally."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import dagster as dg
from pydantic import Field

from cost_pipeline import settings
from cost_pipeline.assets.ingest_load import LoadOptions, PartitionReport, load_partition
from cost_pipeline.assets.ingest_types import PipelineOptions
from cost_pipeline.langfuse import ObservationsClient, RetryPolicy
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.partitions import daily_asset, observe_each_day
from cost_pipeline.warehouse.quality import InputQuality
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource


class IngestConfig(dg.Config):
    full_refresh: bool = Field(
        default=False, description="Re-read the whole day instead of the incremental window."
    )
    lookback_hours: float = Field(
        default=2.0,
        ge=0,
        description="Re-read from (latest loaded start time - lookback): generations that become "
        "visible in Langfuse at most this late are guaranteed to be picked up by the next run.",
    )
    page_limit: int = Field(default=1000, description="Rows per API page (1..1000).")
    batch_pages: int = Field(default=25, description="Most pages written per transaction.")
    sub_windows: int = Field(
        default=1, description="Time windows the day starts in (dense ones split further)."
    )
    max_concurrency: int = Field(
        default=4,
        ge=1,
        description="Most time windows fetched at the same time. Above 1, a window whose first "
        "page is full and slow (split_latency_ms) has its rest split into sub-windows paged "
        "concurrently, within the langfuse resource's requests_per_minute. 1: one window, "
        "paged sequentially.",
    )
    split_pages: int = Field(
        default=20, ge=1, description="Pages per sub-window a dense window is split into."
    )
    split_latency_ms: float = Field(
        default=100.0,
        ge=0,
        description="Split only windows whose first page took at least this long: on a fast "
        "network one sequential cursor already outruns the writer, and splitting would only "
        "add requests.",
    )
    fetcher_nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="Linux: once pages come back faster than split_latency_ms, fetch threads "
        "run this much lower in priority than the writer, which they then run ahead of, so "
        "the writer gets the core when both want it. 0: same priority.",
    )
    max_retry_wait_s: float = Field(
        default=300.0,
        ge=0,
        description="Seconds of wall time a load may spend waiting to retry requests (fetchers "
        "waiting at the same time count once).",
    )
    retry_base_delay_s: float = Field(default=0.5, ge=0, description="First backoff delay.")
    max_attempts: int = Field(default=8, ge=1, description="Attempts per request before giving up.")
    stop_after_pages: int | None = Field(
        default=None,
        description="Testing only: fail like a crash after this many pages are committed.",
    )


@daily_asset(
    deps=["llm_traffic"],
    pool=WRITER_POOL,
    kinds={"duckdb"},
    description="One row per Langfuse generation (observation id), read incrementally from "
    "GET /api/public/v2/observations and upserted by id.",
)
def raw_generations(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    warehouse: WarehouseResource,
    langfuse: LangfuseResource,
) -> dg.MaterializeResult:
    window = context.partition_time_window
    # A setting mistake (a blank LANGFUSE_BASE_URL, keys in it) fails the run here, before a
    # load is started in the warehouse and left behind as running.
    langfuse.connection()
    options = _load_options(config)
    policy = RetryPolicy(
        base_delay_s=config.retry_base_delay_s,
        max_attempts=config.max_attempts,
        max_total_wait_s=config.max_retry_wait_s,
    )

    def open_client() -> ObservationsClient:
        return langfuse.open_client(
            policy, max_connections=config.max_concurrency + 1, log=context.log
        )

    reports = []
    day = window.start.date()
    while day < window.end.date():
        reports.append(
            load_partition(
                day,
                open_client=open_client,
                warehouse=warehouse,
                options=options,
                log=context.log,
                run_id=context.run.run_id,
            )
        )
        day += timedelta(days=1)
    observe_each_day(context, {r.day.isoformat(): materialization_metadata([r]) for r in reports})
    # The bound on retry waits sits beside the wait itself, so the UI shows how close a day came.
    budget = {"retry_wait_budget_s": dg.MetadataValue.float(config.max_retry_wait_s)}
    return dg.MaterializeResult(metadata={**materialization_metadata(reports), **budget})


def _load_options(config: IngestConfig) -> LoadOptions:
    keys = settings.attribution_keys()
    return LoadOptions(
        full_refresh=config.full_refresh,
        lookback=timedelta(hours=config.lookback_hours),
        sub_windows=config.sub_windows,
        pipeline=PipelineOptions(
            page_limit=config.page_limit,
            # Attribution values must arrive whole: Langfuse truncates metadata values otherwise.
            expand_metadata=(keys.feature, keys.team),
            batch_pages=config.batch_pages,
            max_concurrency=config.max_concurrency,
            split_pages=config.split_pages,
            split_latency_s=config.split_latency_ms / 1000,
            fetcher_nice=config.fetcher_nice,
            stop_after_pages=config.stop_after_pages,
        ),
    )


def materialization_metadata(reports: list[PartitionReport]) -> dict[str, dg.MetadataValue]:
    """Numbers the Dagster UI can plot across partitions (summed over a range run)."""

    def total(pick: Callable[[PartitionReport], float | Decimal]) -> float:
        return float(sum(pick(report) for report in reports))

    modes = sorted({report.mode for report in reports})
    return {
        "rows_loaded": dg.MetadataValue.int(int(total(lambda r: r.totals.rows_loaded))),
        "rows_upserted_new": dg.MetadataValue.int(int(total(lambda r: r.totals.rows_new))),
        "rows_rejected": dg.MetadataValue.int(int(total(lambda r: r.totals.rows_rejected))),
        # Odd but usable input (rows_duplicate, rows_without_usage, ...): see warehouse/quality.
        **_quality_counts(reports),
        "rejected_by_reason": dg.MetadataValue.json(_rejected_by_reason(reports)),
        # Usage keys no token class reads: generations holding each (rows_unclassified_usage).
        "unclassified_usage_keys": dg.MetadataValue.json(_unclassified_usage_keys(reports)),
        # Copies of one generation on two neighbouring days: the older one is removed.
        "older_copies_removed": dg.MetadataValue.json(_older_copies_removed(reports)),
        "partition_rows": dg.MetadataValue.int(int(total(lambda r: r.partition_rows))),
        "pages": dg.MetadataValue.int(int(total(lambda r: r.totals.pages))),
        "api_requests": dg.MetadataValue.int(int(total(lambda r: r.api["requests"]))),
        "api_bytes": dg.MetadataValue.int(int(total(lambda r: r.api["bytes"]))),
        "retries": dg.MetadataValue.int(int(total(lambda r: r.api["retries"]))),
        "retry_wait_s": dg.MetadataValue.float(round(total(lambda r: r.api["retry_wait_s"]), 3)),
        "throttled": dg.MetadataValue.int(int(total(lambda r: r.api["throttled"]))),
        "duration_s": dg.MetadataValue.float(round(total(lambda r: r.duration_s), 3)),
        "langfuse_total_cost_usd": dg.MetadataValue.float(
            total(lambda r: r.partition_langfuse_cost)
        ),
        "window_from": dg.MetadataValue.timestamp(
            min(r.window_from for r in reports).replace(tzinfo=UTC)
        ),
        "window_to": dg.MetadataValue.timestamp(
            max(r.window_to for r in reports).replace(tzinfo=UTC)
        ),
        "mode": dg.MetadataValue.text(modes[0] if len(modes) == 1 else ",".join(modes)),
        # Earlier attempts that were killed without recording an outcome, recorded by this run.
        "interrupted_loads_recorded": dg.MetadataValue.int(
            sum(r.interrupted_load is not None for r in reports)
        ),
        "loaded_at": dg.MetadataValue.timestamp(datetime.now(UTC)),
    }


def _quality_counts(reports: list[PartitionReport]) -> dict[str, dg.MetadataValue]:
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update(report.quality.counts())
    return {name: dg.MetadataValue.int(counts[name]) for name in InputQuality().counts()}


def _older_copies_removed(reports: list[PartitionReport]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update({day.isoformat(): n for day, n in report.older_copies_removed.items()})
    return dict(sorted(counts.items()))


def _unclassified_usage_keys(reports: list[PartitionReport]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update(dict(report.quality.unclassified_usage_keys))
    return dict(counts.most_common())


def _rejected_by_reason(reports: list[PartitionReport]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update(report.rejected_by_reason)
    return dict(counts.most_common())
