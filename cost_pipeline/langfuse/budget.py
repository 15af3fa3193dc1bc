"""A requests-per-minute budget shared by every thread fetching for one load.

Langfuse Cloud limits the public API per organisation (1,000 requests/min on Pro, 30 on Hobby)
in fixed 60-second windows. A sliding window that never admits more than ``limit`` requests in
any 60 seconds also keeps every fixed window within the limit, while still letting a short load
use its whole minute at once (a token bucket refilling at limit/60 per second would allow up to
2x the limit in some 60 s span). A small margin covers requests that take different times to
reach the server. Every attempt takes a slot, retries included: the server counts them all.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class BudgetWaitCancelled(RuntimeError):
    """The load stopped while a request waited for a slot."""


class RequestBudget:
    def __init__(
        self,
        requests_per_minute: int,
        *,
        margin_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float, threading.Event | None], bool] | None = None,
    ) -> None:
        if requests_per_minute < 0:
            raise ValueError(f"requests_per_minute must be >= 0, got {requests_per_minute}")
        self.limit = requests_per_minute  # 0: no limit (self-hosted Langfuse has none)
        self.margin_s = margin_s
        self._clock = clock
        self._sleep = sleep or _wait
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time requests spent waiting for a slot

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Take a slot, waiting until one is free; returns the seconds waited."""
        if self.limit == 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - WINDOW_S - self.margin_s:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    self.waited_s += waited
                    return waited
                delay = self._sent[0] + WINDOW_S + self.margin_s - now
            delay = max(delay, 0.001)
            if self._sleep(delay, stop):
                raise BudgetWaitCancelled("the load stopped while waiting for a request slot")
            waited += delay

    def in_last_minute(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for sent in self._sent if sent > now - WINDOW_S)


def _wait(delay: float, stop: threading.Event | None) -> bool:
    """Sleep ``delay`` seconds; True when ``stop`` was set meanwhile."""
    if stop is None:
        time.sleep(delay)
        return False
    return stop.wait(delay)
