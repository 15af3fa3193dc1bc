"""Which fault, if any, the next read request gets: the fail_next queue first, then dice."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from cost_pipeline.local.knobs import Knobs, validated_updates
from cost_pipeline.local.rate_limit import Decision, FixedWindowLimiter


@dataclass(frozen=True)
class Fault:
    kind: str  # status | drop | truncate | invalid_json | repeat_cursor | delay
    status: int = 500
    retry_after: float | None = None
    delay_ms: float = 0.0


class FaultEngine:
    """Holds the knobs; thread-safe, so handlers and the admin route can share it."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self._lock = threading.Lock()
        self._rng = random.Random(knobs.fault_seed)
        self._limiter = FixedWindowLimiter(knobs.rate_limit_per_minute)

    def update(self, updates: dict[str, Any]) -> Knobs:
        values = validated_updates(updates)  # raises before anything changes
        with self._lock:
            for name, value in values.items():
                setattr(self.knobs, name, value)
            if "fault_seed" in values:
                self._rng = random.Random(self.knobs.fault_seed)
            if "rate_limit_per_minute" in values:
                self._limiter = FixedWindowLimiter(self.knobs.rate_limit_per_minute)
        return self.knobs

    def snapshot(self) -> dict[str, Any]:
        with self._lock:  # fail_next is consumed concurrently by read requests
            return self.knobs.as_dict()

    def rate_limit(self) -> Decision | None:
        """None when reads are unlimited, else the limiter's decision for this request."""
        with self._lock:
            limiter = self._limiter if self.knobs.rate_limit_per_minute > 0 else None
        return limiter.check() if limiter else None

    def next_fault(self, has_cursor: bool) -> Fault | None:
        with self._lock:
            queued = self._pop_fail_next(has_cursor)
            if queued is not None:
                return queued
            return self._roll(has_cursor)

    def _pop_fail_next(self, has_cursor: bool) -> Fault | None:
        for index, entry in enumerate(self.knobs.fail_next):
            # A cursor can only be repeated on a request that sent one; wait for such a request.
            if entry["kind"] == "repeat_cursor" and not has_cursor:
                continue
            entry["count"] -= 1
            if entry["count"] <= 0:
                del self.knobs.fail_next[index]
            return Fault(
                kind=entry["kind"],
                status=entry.get("status", 500),
                retry_after=entry.get("retry_after"),
                delay_ms=entry.get("ms", 0.0),
            )
        return None

    def _roll(self, has_cursor: bool) -> Fault | None:
        knobs = self.knobs
        for kind, rate in (
            ("status", knobs.error_rate),
            ("drop", knobs.drop_rate),
            ("truncate", knobs.truncate_rate),
            ("invalid_json", knobs.invalid_json_rate),
            ("repeat_cursor", knobs.repeat_cursor_rate if has_cursor else 0.0),
        ):
            if rate > 0 and self._rng.random() < rate:
                return Fault(kind=kind)
        return None
