"""Responses created with ``background=True``: recorded when retrieved finished, not when created.

A background ``create`` answers at once (``queued`` / ``in_progress``, no usage); the billed usage
arrives with the response that ``retrieve`` (or ``cancel``) returns once it is terminal. So the
create's request summary, business context and start time wait here under the response id, and
the first terminal response seen for that id records the one generation, then the id is
forgotten (later polls record nothing). Only the client (and its ``with_options`` copies) that
created a response can record it: another process's ids are unknown here and pass through.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cost_pipeline.llm.call import CallConfig, CallSpec
from cost_pipeline.llm.openai_responses_mapping import failure_of
from cost_pipeline.llm.recorded_create import ProviderCalls
from cost_pipeline.llm.recording import CallStart, call_start, start_call

logger = logging.getLogger("cost_pipeline.llm")

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})
# A process that creates in the background but never polls must not grow without bound.
MAX_PENDING = 10_000


def is_background(kwargs: Mapping[str, Any]) -> bool:
    """A background create that answers with a response to poll (streamed ones carry their usage
    in their final event and are recorded as any stream)."""
    return kwargs.get("background") is True and not kwargs.get("stream")


@dataclass(frozen=True)
class PendingResponse:
    spec: CallSpec
    started: CallStart


class PendingResponses:
    """Response id -> what its generation will be recorded with; bounded, oldest dropped.

    Thread-safe: ``take`` pops, so two threads polling the same id record it once.
    """

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._pending: OrderedDict[str, PendingResponse] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, response_id: str, pending: PendingResponse) -> None:
        with self._lock:
            self._pending[response_id] = pending
            while len(self._pending) > self._limit:
                dropped, _ = self._pending.popitem(last=False)
                logger.warning(
                    "more than %d background responses pending: %s dropped, its cost will not "
                    "be recorded",
                    self._limit,
                    dropped,
                )

    def take(self, response_id: str) -> PendingResponse | None:
        with self._lock:
            return self._pending.pop(response_id, None)

    def __len__(self) -> int:
        return len(self._pending)


class BackgroundRecorder:
    """What ``responses.create(background=True)`` / ``retrieve`` / ``cancel`` record."""

    def __init__(self, config: CallConfig, calls: ProviderCalls, pending: PendingResponses) -> None:
        self._config = config
        self._calls = calls
        self.pending = pending

    def start(self, kwargs: Mapping[str, Any]) -> PendingResponse:
        """Before the create: its summary, context and start time as of now."""
        return PendingResponse(self._calls.spec_for(kwargs), call_start(self._config))

    def create_failed(self, pending: PendingResponse, exc: BaseException) -> None:
        """The create itself failed: recorded at once, as a failed plain create is."""
        with self._open(pending, None) as active:
            active.fail(exc)

    def created(self, pending: PendingResponse, response: Any) -> None:
        response_id = getattr(response, "id", None)
        if not isinstance(response_id, str):
            logger.warning("background response without an id: its cost will not be recorded")
            return
        self.pending.remember(response_id, pending)
        self.seen(response)  # already finished (it can be): recorded now

    def seen(self, response: Any) -> None:
        """A response returned by retrieve / cancel: recorded if it is one of ours, finished."""
        if getattr(response, "status", None) not in TERMINAL_STATUSES:
            return  # still queued / in progress, or not a response at all (a retrieve stream)
        pending = self.pending.take(getattr(response, "id", None) or "")
        if pending is None:
            return  # another client's, a plain one, or already recorded
        try:
            self._record(pending, response)
        except Exception:  # never let recording break the caller's poll
            logger.exception("recording background response %s failed", response.id)

    def _record(self, pending: PendingResponse, response: Any) -> None:
        completed_at = getattr(response, "completed_at", None)
        ended_ns = int(completed_at * 1e9) if isinstance(completed_at, int | float) else None
        failure = None
        if response.status == "failed":
            failure = failure_of(getattr(response, "error", None))
        with self._open(pending, ended_ns) as active:
            active.succeed(
                model=getattr(response, "model", None),
                usage=self._calls.usage_in(response),
                output=self._calls.output_of(response),
                price_context=self._calls.price_context_of(response),
                failure=failure,
            )

    def _open(self, pending: PendingResponse, ended_ns: int | None) -> Any:
        return start_call(
            self._config, pending.spec, self._calls.usage_of, pending.started, ended_ns
        )
