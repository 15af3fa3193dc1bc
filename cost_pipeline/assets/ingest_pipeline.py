"""Fetch pages and write them at the same time: fetcher threads -> bounded queue -> one writer.

Fetchers (one per time window at a time, ingest_fetch.py) spool each page to a file and queue its
name; the writer takes whatever is queued (up to a batch) and writes it with its checkpoint in one
transaction (warehouse/upsert.py), batches in the order they were taken. The DuckDB connection is
open only while there is SQL to run: when the queue stays empty (slow network, retry waits) the
writer closes it, so the file lock is never held across HTTP waits.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta

import duckdb

from cost_pipeline.assets.ingest_fetch import FetcherDone, WindowFetcher
from cost_pipeline.assets.ingest_types import (
    CorruptPages,
    LoadInterrupted,
    Log,
    PipelineOptions,
    PipelineTotals,
    utc_now,
)
from cost_pipeline.langfuse import ObservationsClient
from cost_pipeline.langfuse.windows import WindowQueue
from cost_pipeline.warehouse.batch_result import BatchResult
from cost_pipeline.warehouse.load_memory import LoadMemory, WorkTooLarge
from cost_pipeline.warehouse.parse import prepare_session
from cost_pipeline.warehouse.plan import WindowTask
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.spool import PageSpool, SpooledPage
from cost_pipeline.warehouse.state import LoadCounters
from cost_pipeline.warehouse.upsert import write_batch

_PROGRESS_EVERY_S = 5.0


class IngestPipeline:
    def __init__(
        self,
        day: date,
        client: ObservationsClient,
        warehouse: WarehouseResource,
        spool: PageSpool,
        options: PipelineOptions,
        log: Log,
        counters: LoadCounters,
        memory: LoadMemory,
    ) -> None:
        self.day = day
        self.client = client
        self.warehouse = warehouse
        self.spool = spool
        self.options = options
        self.log = log
        self.api_base = counters  # api figures of earlier attempts of this load
        self.counters = counters
        self.totals = PipelineTotals()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._last_loaded_at: datetime | None = None
        self.memory = memory
        self._conn_scope = contextlib.ExitStack()
        self._last_progress = time.monotonic()
        self._started = time.monotonic()
        self._finished = 0  # fetchers of the current run() that have reported back
        self._failure: BaseException | None = None  # the first fetcher failure of that run
        self.fetcher = WindowFetcher(client, spool, options, log)

    # ------------------------------------------------------------------ run

    def run(self, tasks: tuple[WindowTask, ...]) -> None:
        """Fetch ``tasks`` and write every page; raises the first fetch or write failure."""
        if not tasks:
            return
        pages: queue.Queue[SpooledPage | FetcherDone] = queue.Queue(self.options.queue_pages)
        stop = threading.Event()
        windows: WindowQueue[WindowTask] = WindowQueue(tasks)
        # One fetcher per window fetched at once; with splitting on, fetchers without a window
        # wait for the children a first page may create.
        workers = self.options.max_concurrency if self.options.split_windows else len(tasks)
        fetchers = [
            threading.Thread(
                target=self.fetcher.run, args=(windows, pages, stop), name=f"fetch-{i}", daemon=True
            )
            for i in range(max(1, min(self.options.max_concurrency, workers)))
        ]
        for fetcher in fetchers:
            fetcher.start()
        self._finished, self._failure = 0, None
        try:
            self._write_until_done(pages, len(fetchers), stop)
        finally:
            stop.set()
            self._drain(pages, fetchers)
            self._release_connection()

    # ---------------------------------------------------------------- write

    def _write_until_done(
        self,
        pages: queue.Queue[SpooledPage | FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> None:
        while self._finished < fetchers:
            batch = self._collect(pages, fetchers, stop)
            if batch:
                self._commit(batch)
        if self._failure is not None:
            raise self._failure

    def _collect(
        self,
        pages: queue.Queue[SpooledPage | FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> list[SpooledPage]:
        """The next batch: wait for a first page, then gather more for up to batch_wait_s.

        Each batch costs a fixed ~50 ms of SQL planning and commit, so one- or two-page batches
        would dominate the CPU of a fast load and of a far network's page-by-page trickle; the
        wait costs no wall time (pages are spooled while the writer waits).
        """
        limit = self.options.batch_pages
        if self.options.stop_after_pages is not None:
            limit = min(limit, self.options.stop_after_pages - self.totals.pages)
        batch: list[SpooledPage] = []
        item = self._first_item(pages)
        deadline = time.monotonic() + self.options.batch_wait_s
        while True:
            if isinstance(item, FetcherDone):
                self._fetcher_done(item, stop)
            else:
                batch.append(item)
            if len(batch) >= limit or self._finished >= fetchers:
                return batch
            try:
                item = pages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return batch

    def _fetcher_done(self, done: FetcherDone, stop: threading.Event) -> None:
        self._finished += 1
        if done.error is not None and self._failure is None:
            self._failure = done.error
            stop.set()  # the others stop too; what is already queued still gets written

    def _first_item(
        self, pages: queue.Queue[SpooledPage | FetcherDone]
    ) -> SpooledPage | FetcherDone:
        try:
            return pages.get(timeout=self.options.idle_close_s if self._conn else None)
        except queue.Empty:
            self._release_connection()  # nothing to write for a while: free the file
            return pages.get()

    def _commit(self, batch: list[SpooledPage]) -> None:
        try:
            self._commit_whole(batch)
        except WorkTooLarge as exc:
            # Pages of one window stay in fetch order across the halves, so writing them one
            # after the other is the same as taking two smaller batches off the queue.
            half = len(batch) // 2
            self.log.warning(
                f"{exc}; writing it as two batches of {half} and {len(batch) - half} page(s) "
                "within the same limit"
            )
            self._commit(batch[:half])
            self._commit(batch[half:])

    def _commit_whole(self, batch: list[SpooledPage]) -> None:
        stats = self.client.stats.snapshot()
        before = replace(
            self.counters,
            api_requests=self.api_base.api_requests + int(stats["requests"]),
            api_bytes=self.api_base.api_bytes + int(stats["bytes"]),
            retries=self.api_base.retries + int(stats["retries"]),
            retry_wait_s=self.api_base.retry_wait_s + stats["retry_wait_s"],
        )
        result = self._write(batch, before)
        self.counters = result.counters
        self.totals.add(result)
        self.spool.discard(batch)
        if result.rows_rejected:
            self.log.warning(
                f"raw_generations {self.day}: {result.rows_rejected} row(s) rejected in this batch "
                f"(see table rejected_generations for the reasons)"
            )
        self._report_progress()
        if result.corrupt:
            raise CorruptPages(result.corrupt)
        limit = self.options.stop_after_pages
        if limit is not None and self.totals.pages >= limit:
            raise LoadInterrupted(f"stopped after {self.totals.pages} pages (stop_after_pages)")

    def _write(self, batch: list[SpooledPage], before: LoadCounters) -> BatchResult:
        conn = self._connection()
        return self.memory.run(
            conn,
            lambda: write_batch(conn, self.day, batch, self._next_loaded_at(), before),
            f"raw_generations {self.day}: writing a batch of {len(batch)} page(s)",
            self.log.warning,
            divisible=len(batch) > 1,
            remedy=", or a lower page_limit (rows per page) in the raw_generations run config",
        )

    def _next_loaded_at(self) -> datetime:
        """A ``loaded_at`` newer than any stored: each batch's rows are told apart by theirs."""
        now = utc_now()
        if self._last_loaded_at is None:
            row = (
                self._connection()
                .execute(
                    "select max(loaded_at) from raw_generations where partition_date = ?",
                    [self.day],
                )
                .fetchone()
            )
            self._last_loaded_at = row[0] if row else None
        if self._last_loaded_at is not None and now <= self._last_loaded_at:
            now = self._last_loaded_at + timedelta(microseconds=1)  # the clock went back
        self._last_loaded_at = now
        return now

    def _report_progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < _PROGRESS_EVERY_S:
            return
        self._last_progress = now
        elapsed = max(now - self._started, 1e-9)
        totals = self.totals
        split = self.fetcher.windows_split
        self.log.info(
            f"raw_generations {self.day}: {totals.pages} pages, {totals.rows_loaded:,} rows "
            f"({totals.rows_loaded / elapsed:,.0f}/s), {totals.rows_rejected} rejected, "
            f"{self.client.stats.bytes / 1e6:,.1f} MB fetched"
            + (f", {split} window(s) split into sub-windows" if split else "")
        )

    # ------------------------------------------------------------ plumbing

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._conn = self._conn_scope.enter_context(self.warehouse.get_connection())
            prepare_session(self._conn)  # temp macros and the time zone belong to a connection
            self.memory.apply(self._conn)
        return self._conn

    def _release_connection(self) -> None:
        self._conn = None
        self._conn_scope.close()

    def _drain(
        self, pages: queue.Queue[SpooledPage | FetcherDone], fetchers: list[threading.Thread]
    ) -> None:
        """After a failure: unblock the fetchers, drop their unwritten pages, wait for them.

        Every fetcher ends by queueing a FetcherDone (stop cuts its retry waits short), so
        blocking on the queue until each has reported cannot hang.
        """
        while self._finished < len(fetchers):
            item = pages.get()
            if isinstance(item, FetcherDone):
                self._finished += 1
            else:
                self.spool.discard([item])
        for fetcher in fetchers:
            fetcher.join()
