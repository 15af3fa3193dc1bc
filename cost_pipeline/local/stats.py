"""Request counters for /admin/stats: what the server saw, so tests can prove client behaviour.

``max_read_requests_in_60s`` is the most read-route requests that arrived (answered or refused)
within any 60-second span: the evidence that a client kept to its requests-per-minute budget.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any

WINDOW_S = 60.0


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            self._counters: dict[str, int] = defaultdict(int)
            self._faults: dict[str, int] = defaultdict(int)
            self._read_arrivals: deque[float] = deque()
            self._max_read_60s = 0
            self._started = time.time()

    def request(self, route: str, status: int) -> None:
        with self._lock:
            self._requests[route][str(status)] += 1

    def read_arrival(self) -> None:
        now = time.monotonic()
        with self._lock:
            arrivals = self._read_arrivals
            arrivals.append(now)
            while arrivals and arrivals[0] <= now - WINDOW_S:
                arrivals.popleft()
            self._max_read_60s = max(self._max_read_60s, len(arrivals))
            self._counters["read_requests"] += 1

    def add(self, counter: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[counter] += amount

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counters = dict(self._counters)
            return {
                "since": self._started,
                "requests": {route: dict(by_status) for route, by_status in self._requests.items()},
                "read_requests": counters.pop("read_requests", 0),
                "max_read_requests_in_60s": self._max_read_60s,
                "rate_limited": counters.pop("rate_limited", 0),
                "rows_served": counters.pop("rows_served", 0),
                "bytes_served": counters.pop("bytes_served", 0),
                "pages_served": counters.pop("pages_served", 0),
                "spans_ingested": counters.pop("spans_ingested", 0),
                "batches_ingested": counters.pop("batches_ingested", 0),
                "batches_rejected": counters.pop("batches_rejected", 0),
                "faults_injected": dict(self._faults),
                **counters,
            }
