"""Millisecond timestamps <-> the ISO strings Langfuse's API uses (``2026-11-24T20:04:05.471Z``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


@lru_cache(maxsize=4096)
def _second_prefix(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def iso_ms(ms: int) -> str:
    second, milli = divmod(ms, 1000)
    return f"{_second_prefix(second)}.{milli:03d}Z"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_iso_ms(text: str) -> int:
    """Parse an ISO-8601 date-time (``Z`` or offset; naive means UTC) to epoch milliseconds.

    Raises ValueError for anything that is not a full date-time: Langfuse's API rejects a bare
    date, so we do too.
    """
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an ISO date-time: {text!r}")
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # Integer arithmetic floors to ms exactly (float timestamps can land a microsecond short).
    return (parsed - _EPOCH) // _ONE_MS
