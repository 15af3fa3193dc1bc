"""Which time windows a load of one day reads, decided from that day's ingest state.

- No state, no rows yet, or ``full_refresh``: the whole day ``[D, D+1)`` ("full").
- An earlier load stopped part-way (crash, failure): each unfinished window continues from its
  last committed cursor ("resumed"), so finished pages are not fetched again.
- Otherwise ``[high_water - lookback, D+1)`` ("incremental"). A generation not yet visible at
  load time L started at T > L - delay (delay = how late it became readable), and every row
  loaded so far started at or before L, so high_water <= L. Reading from high_water - lookback
  therefore catches every generation whose ingestion delay is at most ``lookback``: that is the
  guaranteed late-data window. Upsert by id makes the overlap harmless. The window starts
  earlier still at ``reread_from`` when given: the start of synthetic calls logged for the day
  but not loaded yet (``unloaded_traffic.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from cost_pipeline.warehouse.state import PartitionState

FULL, INCREMENTAL, RESUMED = "full", "incremental", "resumed"
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class WindowTask:
    window_from: datetime
    window_to: datetime
    cursor: str | None = None  # continue after this cursor; None = from the window's start
    # The cursor was checkpointed by an earlier load: Langfuse may have been upgraded since and
    # refuse it, and then the window is read again from its start (ingest_fetch.py).
    cursor_saved_earlier: bool = False


@dataclass(frozen=True)
class LoadPlan:
    day: date
    mode: str
    windows: tuple[WindowTask, ...]

    @property
    def window_from(self) -> datetime:
        return min((w.window_from for w in self.windows), default=day_bounds(self.day)[0])

    @property
    def window_to(self) -> datetime:
        return max((w.window_to for w in self.windows), default=day_bounds(self.day)[1])


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time())  # naive UTC, like every warehouse timestamp
    return start, start + timedelta(days=1)


def plan_load(
    state: PartitionState | None,
    day: date,
    *,
    full_refresh: bool = False,
    lookback: timedelta = timedelta(hours=2),
    sub_windows: int = 1,
    reread_from: datetime | None = None,
) -> LoadPlan:
    day_start, day_end = day_bounds(day)
    if not full_refresh and state is not None and state.unfinished and state.windows:
        open_windows = tuple(
            WindowTask(w.window_from, w.window_to, w.next_cursor, w.next_cursor is not None)
            for w in state.windows
            if w.is_open
        )
        return LoadPlan(day, RESUMED, open_windows)
    if full_refresh or state is None or state.high_water is None:
        return LoadPlan(day, FULL, split_window(day_start, day_end, sub_windows))
    start = _floor_ms(state.high_water - lookback)
    if reread_from is not None:
        start = min(start, _floor_ms(reread_from))
    start = min(max(day_start, start), day_end - _MS)
    return LoadPlan(day, INCREMENTAL, split_window(start, day_end, sub_windows))


def split_window(start: datetime, end: datetime, parts: int) -> tuple[WindowTask, ...]:
    """``parts`` adjacent half-open windows covering ``[start, end)`` exactly, newest first."""
    if parts < 1:
        raise ValueError(f"sub_windows must be >= 1, got {parts}")
    step = (end - start) / parts
    edges = [start] + [_floor_ms(start + step * i) for i in range(1, parts)] + [end]
    windows = [WindowTask(a, b) for a, b in pairwise(edges) if a < b]
    return tuple(reversed(windows))


def _floor_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
