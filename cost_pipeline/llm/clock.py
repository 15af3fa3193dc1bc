"""Record calls at another point in time (synthetic traffic for past partitions).

Inside ``with recorded_at(ts):`` an instrumented call's generation starts at ``ts`` instead of
now; end and first-token times keep their real distances from the start, so latency stays real.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_recorded_at: ContextVar[datetime | None] = ContextVar("cost_pipeline_recorded_at", default=None)


@contextmanager
def recorded_at(start: datetime) -> Iterator[None]:
    if start.tzinfo is None:
        raise ValueError("recorded_at needs a timezone-aware datetime (UTC)")
    token = _recorded_at.set(start)
    try:
        yield
    finally:
        _recorded_at.reset(token)


class CallClock:
    """Maps real time to recorded time for one call: offset 0 unless ``recorded_at`` is active."""

    def __init__(self) -> None:
        target = _recorded_at.get()
        now_ns = time.time_ns()
        self.explicit = target is not None
        self.offset_ns = 0 if target is None else _to_ns(target) - now_ns
        self.start_ns = now_ns + self.offset_ns
        self._ended_ns: int | None = None  # real time; set only on a resumed clock

    def resumed(self, ended_ns: int | None = None) -> CallClock:
        """This call's clock for a generation opened after the call started (a background
        response, recorded when it is retrieved finished): the start must then be given
        explicitly, and ``ended_ns`` (real time, the provider's completion time) is its end."""
        clock = copy.copy(self)
        clock.explicit = True
        if ended_ns is not None:
            clock._ended_ns = max(ended_ns, self.start_ns - self.offset_ns)  # never before start
        return clock

    def now_ns(self) -> int:
        real = time.time_ns() if self._ended_ns is None else self._ended_ns
        return real + self.offset_ns

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ns() / 1e9, tz=UTC)


def _to_ns(moment: datetime) -> int:
    # Integer arithmetic: float seconds lose the microseconds of far-from-epoch datetimes.
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
