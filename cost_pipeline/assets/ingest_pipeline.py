"""Fetch pages and write them at the same time: fetcher threads -> bounded queue -> one writer.

Fetchers (one per time window at a time) spool each page to a file and queue its name; the writer
takes whatever is queued (up to a batch) and commits it with its checkpoint in one transaction.
The DuckDB connection is open only while there is SQL to run: when the queue stays empty (slow
network, retry waits) the writer closes it, so the file lock is never held across HTTP waits.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from dataclasses import dataclass, replace
from datetime import date

import duckdb

from cost_pipeline.assets.ingest_types import (
    CorruptPages,
    LoadInterrupted,
    Log,
    PipelineOptions,
    PipelineTotals,
    utc_now,
)
from cost_pipeline.langfuse import ObservationsClient, ObservationWindow
from cost_pipeline.langfuse.windows import (
    PageTimes,
    SplitPolicy,
    WindowQueue,
    cursor_start_time,
)
from cost_pipeline.warehouse.parse import prepare_session
from cost_pipeline.warehouse.plan import WindowTask
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.spool import PageSpool, SpooledPage
from cost_pipeline.warehouse.state import LoadCounters
from cost_pipeline.warehouse.upsert import write_batch

_PROGRESS_EVERY_S = 5.0


@dataclass(frozen=True)
class _FetcherDone:
    error: BaseException | None


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
        self._seq = itertools.count()
        self._seq_lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_scope = contextlib.ExitStack()
        self._last_progress = time.monotonic()
        self._started = time.monotonic()
        self._finished = 0  # fetchers of the current run() that have reported back
        self._failure: BaseException | None = None  # the first fetcher failure of that run
        self._split_policy = SplitPolicy(
            max_concurrency=options.max_concurrency,
            target_pages=options.split_pages,
            min_page_seconds=options.split_latency_s,
        )
        self._page_times = PageTimes()
        self.windows_split = 0

    # ------------------------------------------------------------------ run

    def run(self, tasks: tuple[WindowTask, ...]) -> None:
        """Fetch ``tasks`` and write every page; raises the first fetch or write failure."""
        if not tasks:
            return
        pages: queue.Queue[SpooledPage | _FetcherDone] = queue.Queue(self.options.queue_pages)
        stop = threading.Event()
        windows: WindowQueue[WindowTask] = WindowQueue(tasks)
        # One fetcher per window fetched at once; with splitting on, fetchers without a window
        # wait for the children a first page may create.
        workers = self.options.max_concurrency if self.options.split_windows else len(tasks)
        fetchers = [
            threading.Thread(
                target=self._fetch, args=(windows, pages, stop), name=f"fetch-{i}", daemon=True
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

    def _fetch(
        self,
        windows: WindowQueue[WindowTask],
        out: queue.Queue[SpooledPage | _FetcherDone],
        stop: threading.Event,
    ) -> None:
        error: BaseException | None = None
        try:
            while (task := windows.take(stop)) is not None:
                try:
                    self._fetch_window(task, windows, out, stop)
                finally:
                    windows.done()
        except BaseException as exc:  # handed to the writer thread, which re-raises it
            error = exc
            stop.set()  # the other fetchers stop too
        finally:
            out.put(_FetcherDone(error))

    def _fetch_window(
        self,
        task: WindowTask,
        windows: WindowQueue[WindowTask],
        out: queue.Queue[SpooledPage | _FetcherDone],
        stop: threading.Event,
    ) -> None:
        window = ObservationWindow(
            task.window_from,
            task.window_to,
            limit=self.options.page_limit,
            expand_metadata=self.options.expand_metadata,
        )
        read_from = cursor_start_time(task.cursor) or task.window_to
        for pages_read, page in enumerate(
            self.client.fetch_window(window, task.cursor, stop), start=1
        ):
            typical = self._page_times.add(page.elapsed_s)
            split = None
            if self.options.split_windows:
                split = self._split_policy.split(
                    (task.window_from, task.window_to),
                    read_from,
                    pages_read,
                    page.next_cursor,
                    typical,
                )
            with self._seq_lock:
                seq = next(self._seq)
            spooled = self.spool.write(
                seq,
                page.body,
                (task.window_from, task.window_to),
                page.request_cursor,
                page.next_cursor,
                children=split.children if split else (),
                owned_from=split.finished_from if split else None,
            )
            out.put(spooled)  # blocks while the writer is behind: bounded memory
            if split is not None:
                # After the parent's page is queued: its checkpoint records the split, so it
                # must commit no later than any page of the children.
                self.windows_split += 1
                windows.add(WindowTask(a, b) for a, b in split.children)
                return

    # ---------------------------------------------------------------- write

    def _write_until_done(
        self,
        pages: queue.Queue[SpooledPage | _FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> None:
        while self._finished < fetchers:
            batch = self._collect(pages, fetchers, stop)
            if batch:
                self._write(batch)
        if self._failure is not None:
            raise self._failure

    def _collect(
        self,
        pages: queue.Queue[SpooledPage | _FetcherDone],
        fetchers: int,
        stop: threading.Event,
    ) -> list[SpooledPage]:
        """The next batch: wait for a first page, then gather more for up to batch_wait_s.

        Each batch costs a fixed ~20-50 ms of SQL planning and commit, so one-page batches would
        dominate a fast load; on a slow network the short wait costs nothing.
        """
        limit = self.options.batch_pages
        if self.options.stop_after_pages is not None:
            limit = max(1, min(limit, self.options.stop_after_pages - self.totals.pages))
        batch: list[SpooledPage] = []
        item = self._first_item(pages)
        deadline = time.monotonic() + self.options.batch_wait_s
        while True:
            if isinstance(item, _FetcherDone):
                self._fetcher_done(item, stop)
            else:
                batch.append(item)
            if len(batch) >= limit or self._finished >= fetchers:
                return batch
            try:
                item = pages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return batch

    def _fetcher_done(self, done: _FetcherDone, stop: threading.Event) -> None:
        self._finished += 1
        if done.error is not None and self._failure is None:
            self._failure = done.error
            stop.set()  # the others stop too; what is already queued still gets written

    def _first_item(
        self, pages: queue.Queue[SpooledPage | _FetcherDone]
    ) -> SpooledPage | _FetcherDone:
        try:
            return pages.get(timeout=self.options.idle_close_s if self._conn else None)
        except queue.Empty:
            self._release_connection()  # nothing to write for a while: free the file
            return pages.get()

    def _write(self, batch: list[SpooledPage]) -> None:
        stats = self.client.stats.snapshot()
        before = replace(
            self.counters,
            api_requests=self.api_base.api_requests + int(stats["requests"]),
            api_bytes=self.api_base.api_bytes + int(stats["bytes"]),
            retries=self.api_base.retries + int(stats["retries"]),
            retry_wait_s=self.api_base.retry_wait_s + stats["retry_wait_s"],
        )
        result = write_batch(self._connection(), self.day, batch, utc_now(), before)
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
        self.log.info(
            f"raw_generations {self.day}: {totals.pages} pages, {totals.rows_loaded:,} rows "
            f"({totals.rows_loaded / elapsed:,.0f}/s), {totals.rows_rejected} rejected, "
            f"{self.client.stats.bytes / 1e6:,.1f} MB fetched"
        )

    # ------------------------------------------------------------ plumbing

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._conn = self._conn_scope.enter_context(self.warehouse.get_connection())
            prepare_session(self._conn)
        return self._conn

    def _release_connection(self) -> None:
        self._conn = None
        self._conn_scope.close()

    def _drain(
        self, pages: queue.Queue[SpooledPage | _FetcherDone], fetchers: list[threading.Thread]
    ) -> None:
        """After a failure: unblock the fetchers, drop their unwritten pages, wait for them.

        Every fetcher ends by queueing a _FetcherDone (stop cuts its retry waits short), so
        blocking on the queue until each has reported cannot hang.
        """
        while self._finished < len(fetchers):
            item = pages.get()
            if isinstance(item, _FetcherDone):
                self._finished += 1
            else:
                self.spool.discard([item])
        for fetcher in fetchers:
            fetcher.join()
