"""Options, running totals and signals shared by the ingest pipeline and the load around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cost_pipeline.warehouse.batch_result import BatchResult
from cost_pipeline.warehouse.spool import SpooledPage


class Log(Protocol):
    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


class CorruptPages(RuntimeError):
    """Pages that were not valid JSON: everything before them is committed, fetch them again."""

    def __init__(self, pages: list[SpooledPage]) -> None:
        super().__init__(f"{len(pages)} page(s) were not valid JSON")
        self.pages = pages


class LoadInterrupted(RuntimeError):
    """Raised by the test-only ``stop_after_pages`` option, like a crash after a checkpoint."""


@dataclass(frozen=True)
class PipelineOptions:
    page_limit: int = 1000
    expand_metadata: tuple[str, ...] = ()
    batch_pages: int = 25
    # Spooled pages waiting for the writer (files on disk, not memory): more than a batch, so
    # the next batch is usually queued in full when the writer takes it.
    queue_pages: int = 40
    max_concurrency: int = 1  # windows fetched at the same time
    split_pages: int = 20  # a split window's children hold about this many pages each
    split_latency_s: float = 0.1  # split only where a first page took this long (far network)
    # How long a partial batch waits for more pages (why: IngestPipeline._collect); a crash
    # re-fetches at most this much. 0.5 s made two-page batches on a far network: +20% CPU.
    batch_wait_s: float = 2.0
    idle_close_s: float = 1.0
    fetcher_nice: int = 5  # fetch threads below the writer on a fast network (ingest_priority.py)
    stop_after_pages: int | None = None

    @property
    def split_windows(self) -> bool:
        return self.max_concurrency > 1


@dataclass
class PipelineTotals:
    pages: int = 0
    rows_received: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    robust_pages: int = 0

    def add(self, batch: BatchResult) -> None:
        self.pages += len(batch.committed)
        self.rows_received += batch.rows_received
        self.rows_loaded += batch.rows_loaded
        self.rows_new += batch.rows_new
        self.rows_rejected += batch.rows_rejected
        self.rows_duplicate += batch.rows_duplicate
        self.robust_pages += batch.robust_pages


def utc_now() -> datetime:
    """Naive UTC, like every timestamp in the warehouse."""
    return datetime.now(UTC).replace(tzinfo=None)
