"""Fixed-window request limiter, like Langfuse Cloud's (rate-limiter-flexible, 60 s windows)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the window ends
    retry_after_s: int


class FixedWindowLimiter:
    """A window opens at the first request and admits ``limit`` requests for 60 s."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._window_start: float | None = None
        self._used = 0
        self._lock = threading.Lock()

    def check(self, now: float | None = None) -> Decision:
        moment = time.monotonic() if now is None else now
        with self._lock:
            if self._window_start is None or moment - self._window_start >= WINDOW_S:
                self._window_start, self._used = moment, 0
            ends_in = self._window_start + WINDOW_S - moment
            reset_at = time.time() + ends_in
            if self._used >= self.limit:
                return Decision(False, self.limit, 0, reset_at, max(1, math.ceil(ends_in)))
            self._used += 1
            return Decision(True, self.limit, self.limit - self._used, reset_at, 0)
