"""Fetch pages and write them at the same time: fetcher threads -> bounded queue -> one writer.

Fetchers (one per time window at a time, ingest_fetch.py) spool each page to a file and queue its
name; the writer takes whatever is queued (up to a batch), has it staged (ingest_stager.py; with
``stage_ahead`` the next batch is staged while this one commits) and commits it with its
checkpoint in one transaction, batches in the order they were taken. The DuckDB connection is
open only while there is SQL to run: when the queue stays empty (slow network, retry waits) the
writer commits what is staged and closes it, so the file lock is never held across HTTP waits.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import replace
from datetime import date

import duckdb

from cost_pipeline.assets.ingest_fetch import FetcherDone, WindowFetcher
from cost_pipeline.assets.ingest_stager import BatchStager, StagedWork
from cost_pipeline.assets.ingest_types import (
    CorruptPages,
    LoadInterrupted,
    Log,
    PipelineOptions,
    PipelineTotals,
)
from cost_pipeline.langfuse import ObservationsClient
from cost_pipeline.langfuse.windows import WindowQueue
from cost_pipeline.warehouse.plan import WindowTask
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.spool import PageSpool, SpooledPage
from cost_pipeline.warehouse.state import LoadCounters
from cost_pipeline.warehouse.upsert import commit_staged

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
        self._batch_stager: BatchStager | None = None
        # Batches taken from the queue and not yet committed, oldest first (at most two).
        self._in_flight: deque[tuple[list[SpooledPage], Future[StagedWork]]] = deque()
        self._conn_scope = contextlib.ExitStack()
        self._last_progress = time.monotonic()
        self._started = time.monotonic()
        self._finished = 0  # fetchers of the current run() that have reported back
        self._failure: BaseException | None = None  # the first fetcher failure of that run
        self.fetcher = WindowFetcher(client, spool, options)

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
            # After a failure: batches staged but never committed are fetched again next time.
            while self._in_flight:
                self.spool.discard(self._in_flight.popleft()[0])

    # ---------------------------------------------------------------- write

    def _write_until_done(
        self,
        pages: queue.Queue[SpooledPage | FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> None:
        keep_staged = 1 if self.options.stage_ahead else 0
        while self._finished < fetchers:
            batch = self._collect(pages, fetchers, stop)
            if batch:
                self._in_flight.append((batch, self._stager().stage(batch)))
            # With nothing new to stage (the queue stayed empty), commit what is staged now.
            self._commit_until(keep_staged if batch else 0)
        self._commit_until(0)
        if self._failure is not None:
            raise self._failure

    def _collect(
        self,
        pages: queue.Queue[SpooledPage | FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> list[SpooledPage]:
        """The next batch: wait for a first page, then gather more for up to batch_wait_s.

        Each batch costs a fixed ~20-50 ms of SQL planning and commit, so one-page batches would
        dominate a fast load; on a slow network the short wait costs nothing.
        """
        limit = self.options.batch_pages
        if self.options.stop_after_pages is not None:
            in_flight = sum(len(staged_pages) for staged_pages, _ in self._in_flight)
            limit = min(limit, self.options.stop_after_pages - self.totals.pages - in_flight)
            if limit <= 0:
                return []  # the staged batch reaches the limit; committing it stops the load
        batch: list[SpooledPage] = []
        # With a batch staged, an empty queue means a slow network: commit the staged batch
        # now rather than hold back its checkpoint waiting for pages.
        item = self._first_item(pages, holding=bool(self._in_flight))
        if item is None:
            return batch
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
        self, pages: queue.Queue[SpooledPage | FetcherDone], holding: bool
    ) -> SpooledPage | FetcherDone | None:
        """The next queued item; None when the staged batch should be committed first."""
        if holding:
            try:
                return pages.get_nowait()
            except queue.Empty:
                return None
        try:
            return pages.get(timeout=self.options.idle_close_s if self._conn else None)
        except queue.Empty:
            self._release_connection()  # nothing to write for a while: free the file
            return pages.get()

    def _commit_until(self, staged_left: int) -> None:
        """Commit the oldest staged batches until ``staged_left`` remain."""
        while len(self._in_flight) > staged_left:
            self._commit(self._in_flight[0][1].result())
            self._in_flight.popleft()  # only once committed: a failure leaves it to discard

    def _commit(self, work: StagedWork) -> None:
        batch = work.pages
        stats = self.client.stats.snapshot()
        before = replace(
            self.counters,
            api_requests=self.api_base.api_requests + int(stats["requests"]),
            api_bytes=self.api_base.api_bytes + int(stats["bytes"]),
            retries=self.api_base.retries + int(stats["retries"]),
            retry_wait_s=self.api_base.retry_wait_s + stats["retry_wait_s"],
        )
        result = commit_staged(work.lane, self.day, batch, work.staged, work.loaded_at, before)
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

    def _stager(self) -> BatchStager:
        if self._batch_stager is None:
            if self._conn is None:
                self._conn = self._conn_scope.enter_context(self.warehouse.get_connection())
            self._batch_stager = BatchStager(self._conn, ahead=self.options.stage_ahead)
        return self._batch_stager

    def _release_connection(self) -> None:
        if self._batch_stager is not None:
            self._batch_stager.close()
            self._batch_stager = None
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
