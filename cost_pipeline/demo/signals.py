"""Make ``kill <pid>`` (SIGTERM) unwind like Ctrl-C, so background servers get stopped.

Python's default SIGTERM action ends the process at once, skipping ``finally`` blocks; the
serve-local child (in its own session, so it outlives a terminal Ctrl-C until we stop it) would
then be orphaned.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def default_sigint() -> None:
    """For a child's ``preexec_fn``: Ctrl-C's default action back.

    A command started in the background by a shell (``make dev &``, nohup) inherits SIGINT
    ignored. ``dg dev`` stops its webserver, daemon and code servers with SIGINT, so children
    that ignore it outlive a ``kill`` of ours and keep the UI port.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminated(SystemExit):
    """Raised in the main thread when SIGTERM arrives."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
