"""Sub-windows of a load: where a dense time window is split, and the queue fetchers share.

Over a far network, cursor paging is latency-bound: one page per round trip, ~4,000
generations/s at 250 ms. Windows that do not overlap can be paged at the same time, each with
its own cursor. A load starts with the planned windows; while a window is paged, once pages are
known to be slow and the writer is waiting for them (the network, not the writer, is the
bottleneck) and the window is dense, the rest of it is split:

    pages so far of [a, b) = the newest rows of the window; the last one started at t
    rows in (t, b)   all arrived on those pages (newest first): [t + 1 ms, b) is finished
    rows in [a, t]   are the rest: [a, t + 1 ms) becomes k children of equal time span

Rows of the last page that started at t (a tie cut by the page edge) are read again by the
child that owns t and dropped from that page, so they are loaded once. k follows the density
seen so far: children are sized to about ``target_pages`` pages each, so quiet hours stay whole
and busy ones are cut finer, recursively (a child decides again from its own pages). Each child
has its own cursor and checkpoint; together with the finished part they cover exactly [a, b).

The split point comes from the cursor Langfuse returns (base64 JSON with ``lastStartTimeTo``);
a cursor in any other format just means the window is paged without splitting.
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Generic, TypeVar

import orjson

MS = timedelta(milliseconds=1)
T = TypeVar("T")


def cursor_start_time(cursor: str | None) -> datetime | None:
    """The start time (naive UTC) of the last row of the page that returned ``cursor``."""
    if not cursor:
        return None
    try:
        text = cursor.strip()
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_")
        payload = orjson.loads(decoded)
        moment = datetime.fromisoformat(str(payload["lastStartTimeTo"]).replace("Z", "+00:00"))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def split_range(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """``parts`` adjacent ms-aligned windows covering ``[start, end)`` exactly, newest first."""
    step = (end - start) / max(parts, 1)
    edges = [start] + [_floor_ms(start + step * i) for i in range(1, parts)] + [end]
    return [(a, b) for a, b in reversed(list(pairwise(edges))) if a < b]


@dataclass(frozen=True)
class Split:
    finished_from: datetime  # [finished_from, window_to) is fully on the first page
    # newest first; together they cover [window_from, finished_from)
    children: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class SplitPolicy:
    """When and how finely to split; ``max_concurrency == 1`` never splits."""

    max_concurrency: int = 1
    target_pages: int = 20  # pages per child, roughly
    min_page_seconds: float = 0.1  # split only while a typical page takes this long
    # ... and while fewer pages than this (a writer's batch) wait for the writer: with a whole
    # batch waiting, the writer is the bottleneck. Pages can be slow because the machine is busy
    # rather than the network far; more fetchers would then only add requests (and past 1,000 in
    # a minute, a wait for the budget).
    max_pages_waiting: int = 25
    min_child_span: timedelta = timedelta(seconds=1)
    max_children: int = 16

    def split(
        self,
        window: tuple[datetime, datetime],
        read_from: datetime,
        pages_read: int,
        next_cursor: str | None,
        typical_page_s: float | None,
        pages_waiting: int = 0,
    ) -> Split | None:
        """How to split the rest of ``window`` now, or None to keep paging it.

        ``read_from`` is where this fetch of the window began (its end, or the start time of the
        cursor it resumed from), ``pages_read`` how many pages it has read since, and
        ``pages_waiting`` how many fetched pages the writer has not taken yet.
        """
        window_from, window_to = window
        if self.max_concurrency <= 1 or next_cursor is None or typical_page_s is None:
            return None
        if typical_page_s < self.min_page_seconds:
            return None  # the network keeps up: splitting would only add requests
        if pages_waiting >= self.max_pages_waiting:
            return None  # the writer is behind: fetching faster would not load faster
        last_start = cursor_start_time(next_cursor)
        if last_start is None or not window_from <= last_start:
            return None
        finished_from = last_start + MS
        # The pages must have moved back in time: pages of rows that all start in the same
        # millisecond as where this fetch began (ties filling whole pages) leave no finished
        # part, and a child of that one instant would start the same split again.
        if finished_from >= min(read_from, window_to):
            return None
        per_page = (read_from - last_start) / max(pages_read, 1)  # time span one page covers
        rest = finished_from - window_from
        pages_left = rest / max(per_page, MS)
        if pages_left <= 1.5 * self.target_pages:
            return None
        parts = min(
            self.max_children,
            math.ceil(pages_left / self.target_pages),
            int(rest / self.min_child_span),
        )
        if parts < 2:
            return None
        return Split(finished_from, tuple(split_range(window_from, finished_from, parts)))


class PageTimes:
    """Recent page round trips of the load: the median of the last few says whether the network
    is slow (a single first page is often slow for other reasons: a cold server, TLS set-up)."""

    def __init__(self, keep: int = 5, at_least: int = 3) -> None:
        self._recent: deque[float] = deque(maxlen=keep)
        self._at_least = at_least
        self._lock = threading.Lock()

    def add(self, seconds: float) -> float | None:
        """Record a page; returns the typical page time so far (None: too few pages yet)."""
        with self._lock:
            self._recent.append(seconds)
            if len(self._recent) < self._at_least:
                return None
            return sorted(self._recent)[len(self._recent) // 2]


class WindowQueue(Generic[T]):
    """Windows waiting for a fetcher. A fetcher that finds the queue empty waits while other
    windows are still being fetched, since their first page may split them into more work."""

    def __init__(self, windows: Iterable[T]) -> None:
        self._waiting: deque[T] = deque(windows)
        self._active = 0
        self._changed = threading.Condition()

    def take(self, stop: threading.Event) -> T | None:
        """The next window, or None once every window is done (or the load stopped)."""
        with self._changed:
            while not stop.is_set():
                if self._waiting:
                    self._active += 1
                    return self._waiting.popleft()
                if self._active == 0:
                    return None
                self._changed.wait(0.2)  # woken by add/done; the timeout re-checks stop
            return None

    def add(self, windows: Iterable[T]) -> None:
        """Queue children ahead of the rest: the dense part of the day gets workers first."""
        with self._changed:
            self._waiting.extendleft(reversed(list(windows)))
            self._changed.notify_all()

    def done(self) -> None:
        with self._changed:
            self._active -= 1
            self._changed.notify_all()

    def wake_all(self) -> None:
        with self._changed:
            self._changed.notify_all()


def _floor_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
