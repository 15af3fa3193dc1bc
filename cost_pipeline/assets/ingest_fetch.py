"""The fetching side of a load: threads take time windows, page them, spool and queue each page.

Every fetcher thread runs ``WindowFetcher.run``: take a window from the shared queue, page it
with its cursor, write each page to the spool and queue its name for the writer. On a slow
network a dense window's rest is split into children (langfuse/windows.py) that other fetchers
take up. Pages get a load-wide sequence number: the writer commits them in that order.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from cost_pipeline.assets.ingest_priority import lower_this_thread_priority
from cost_pipeline.assets.ingest_types import Log, PipelineOptions
from cost_pipeline.langfuse import CursorRejectedError, ObservationsClient, ObservationWindow
from cost_pipeline.langfuse.page import Page
from cost_pipeline.langfuse.windows import PageTimes, SplitPolicy, WindowQueue, cursor_start_time
from cost_pipeline.warehouse.plan import WindowTask
from cost_pipeline.warehouse.spool import PageSpool, SpooledPage


@dataclass(frozen=True)
class FetcherDone:
    """A fetcher thread's last word: None, or the error that stopped it."""

    error: BaseException | None


class WindowFetcher:
    def __init__(
        self, client: ObservationsClient, spool: PageSpool, options: PipelineOptions, log: Log
    ) -> None:
        self.client = client
        self.spool = spool
        self.options = options
        self.log = log
        self.windows_split = 0
        self._seq = itertools.count()
        self._seq_lock = threading.Lock()
        self._page_times = PageTimes()
        self._split_policy = SplitPolicy(
            max_concurrency=options.max_concurrency,
            target_pages=options.split_pages,
            min_page_seconds=options.split_latency_s,
            max_pages_waiting=options.batch_pages,
        )

    def run(
        self,
        windows: WindowQueue[WindowTask],
        out: queue.Queue[SpooledPage | FetcherDone],
        stop: threading.Event,
    ) -> None:
        """One fetcher thread: windows until none is left (or the load stops)."""
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
            out.put(FetcherDone(error))

    def _fetch_window(
        self,
        task: WindowTask,
        windows: WindowQueue[WindowTask],
        out: queue.Queue[SpooledPage | FetcherDone],
        stop: threading.Event,
    ) -> None:
        window = ObservationWindow(
            task.window_from,
            task.window_to,
            limit=self.options.page_limit,
            expand_metadata=self.options.expand_metadata,
        )
        read_from = cursor_start_time(task.cursor) or task.window_to
        pages = self.client.fetch_window(window, task.cursor, stop)
        if task.cursor_saved_earlier:
            pages, read_from = self._from_start_if_refused(pages, window, read_from, stop)
        for pages_read, page in enumerate(pages, start=1):
            typical = self._page_times.add(page.elapsed_s)
            if typical is not None and typical < self.options.split_latency_s:
                # Pages come back fast: the writer, not the network, sets the pace.
                lower_this_thread_priority(self.options.fetcher_nice)
            split = None
            if self.options.split_windows:
                split = self._split_policy.split(
                    (task.window_from, task.window_to),
                    read_from,
                    pages_read,
                    page.next_cursor,
                    typical,
                    pages_waiting=out.qsize(),
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

    def _from_start_if_refused(
        self,
        pages: Iterator[Page],
        window: ObservationWindow,
        read_from: datetime,
        stop: threading.Event,
    ) -> tuple[Iterator[Page], datetime]:
        """The pages after a cursor an earlier load saved, or, when Langfuse refuses that
        cursor (upgraded since, its cursor format changed), every page of the window from its
        start. Safe: rows are upserted by id (warehouse/upsert.py), so the rows read again
        replace their stored copies. Only the first request can be refused here; a later one
        carries a cursor of this load and fails the load (client.py)."""
        try:
            first = next(pages)
        except StopIteration:
            return iter(()), read_from
        except CursorRejectedError as exc:
            self.log.warning(
                f"Langfuse refused the saved cursor of window {window.describe()} (the last "
                f"checkpoint of an earlier load; {exc.detail or exc}): Langfuse may have been "
                "upgraded since and changed its cursor format. The window is re-read from its "
                "start; rows are upserted by id, so none is counted twice"
            )
            return self.client.fetch_window(window, None, stop), window.to_start
        return itertools.chain((first,), pages), read_from
