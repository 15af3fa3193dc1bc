"""Fetch threads give way to the writer when they compete for a core (Linux only).

A load is a two-stage pipeline: fetchers page the API ahead into the spool, one writer turns
batches of pages into rows. On a fast network the writer is the bottleneck and the fetchers run
well ahead of it (the writer never waits for a page), so when both want the same core the
writer should get it. Such a fetcher lowers its own scheduling priority (raises its nice value,
which needs no privilege and on Linux is per thread): on the 2-core benchmark machine that took
~0.5 s off a 1M-generation load's ~13.5 s with serve-local on the same machine. On a far network
the fetchers are the bottleneck (lowered from their first page, the 16 fetchers of a load with
250 ms per page took ~0.5 s longer), so a fetcher gives way only once pages come back fast
(BENCHMARKS.md, eighth session).
"""

from __future__ import annotations

import os
import sys
import threading

MAX_NICE = 19

# A raised nice value cannot be lowered again without privilege: a thread gives way once.
_this_thread = threading.local()


def lower_this_thread_priority(by: int) -> int | None:
    """Raise the calling thread's nice value by ``by`` (capped at 19), the first time it asks;
    the new value, or None when nothing changed (``by`` is 0, an earlier call, not Linux, or
    the system refused)."""
    if by <= 0 or sys.platform != "linux" or getattr(_this_thread, "lowered", False):
        # Elsewhere PRIO_PROCESS takes a process id, not a thread id: never guess one.
        return None
    _this_thread.lowered = True
    thread_id = threading.get_native_id()
    try:
        nice = min(MAX_NICE, os.getpriority(os.PRIO_PROCESS, thread_id) + by)
        os.setpriority(os.PRIO_PROCESS, thread_id, nice)
    except OSError:
        return None
    return nice
