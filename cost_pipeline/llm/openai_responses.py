"""``client.responses``: ``create`` (plain or ``stream=True``), ``parse`` and the ``stream(...)``
helper recorded; ``create(background=True)`` recorded when ``retrieve`` / ``cancel`` return it
finished (background_responses.py); ``delete``, ``input_items`` and the rest pass through.

The SDK's Responses stream helper exposes no snapshot to read when its block ends (the chat
helper's way, helper_streams.py), and what ``response.failed`` / ``response.incomplete`` report
never reaches its final response. So the helper itself is run over a resource whose ``create`` is
the recorded one: every raw event passes the same ``ResponsesStreamState`` as with
``create(stream=True)``, however the caller reads (iteration, ``get_final_response()``,
``until_done()``), and the caller still gets the SDK's own helper stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai.types.responses import Response

from cost_pipeline.llm.background_responses import (
    BackgroundRecorder,
    PendingResponses,
    is_background,
)
from cost_pipeline.llm.openai_responses_mapping import (
    ResponsesStreamState,
    billed,
    output_of,
    price_context,
    spec_for,
)
from cost_pipeline.llm.passthrough import Passthrough
from cost_pipeline.llm.recorded_create import AsyncRecordedCreate, ProviderCalls, RecordedCreate
from cost_pipeline.llm.usage import from_openai_response

RESPONSES_CALLS = ProviderCalls(
    spec_for=spec_for,
    usage_of=from_openai_response,
    usage_in=billed,
    output_of=output_of,
    new_stream_state=ResponsesStreamState,
    snapshot=lambda _stream: None,  # unused: stream() below records the helper's raw events
    price_context_of=price_context,
    response_from_json=lambda body: Response.construct(**body),
)


class _CreateThrough(Passthrough):
    """The SDK's resource with ``create`` replaced: what the SDK's helper makes its request with."""

    def __init__(self, inner: Any, create: Callable[..., Any]) -> None:
        super().__init__(inner)
        self.create = create


class RecordedResponseStream:
    """Stands in for the SDK's ``ResponseStreamManager`` (``with`` and ``async with``).

    The request (and a failure of it) is recorded by the recorded ``create``; leaving the block
    ends the generation at once: complete when the final event had arrived, else incomplete (the
    helper's own close only closes the HTTP response, not the recording stream it reads).
    """

    def __init__(self, inner: Any, create: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self._inner = inner
        self._create = create
        self._kwargs = kwargs
        self._manager: Any = None
        self._recording: Any = None  # the RecordingStream the helper reads, once requested

    def _open(self, create: Callable[..., Any]) -> Any:
        # The SDK's own helper method, on a resource whose create is ours.
        return type(self._inner).stream(_CreateThrough(self._inner, create), **self._kwargs)

    def _record(self, **kwargs: Any) -> Any:
        self._recording = self._create(**kwargs)
        return self._recording

    async def _record_async(self, **kwargs: Any) -> Any:
        self._recording = await self._create(**kwargs)
        return self._recording

    def __enter__(self) -> Any:
        self._manager = self._open(self._record)
        return self._manager.__enter__()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self._manager.__exit__(exc_type, exc, tb)
        finally:
            if self._recording is not None:
                self._recording.settle(exc)

    async def __aenter__(self) -> Any:
        self._manager = self._open(self._record_async)
        return await self._manager.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self._manager.__aexit__(exc_type, exc, tb)
        finally:
            if self._recording is not None:
                await self._recording.settle(exc)


def _creates_a_response(kwargs: dict[str, Any]) -> bool:
    # stream(response_id=...) replays the events of a response created earlier: no new call.
    return "response_id" not in kwargs and "starting_after" not in kwargs


class RecordedResponses(RecordedCreate):
    def __init__(self, inner: Any, config: Any, pending: PendingResponses | None = None) -> None:
        super().__init__(inner, config, RESPONSES_CALLS)
        self.background = BackgroundRecorder(config, RESPONSES_CALLS, pending or PendingResponses())

    def create(self, **kwargs: Any) -> Any:
        if not is_background(kwargs):
            return super().create(**kwargs)
        pending = self.background.start(kwargs)
        try:
            response = self._inner.create(**kwargs)
        except BaseException as exc:
            self.background.create_failed(pending, exc)
            raise
        self.background.created(pending, response)
        return response

    def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        response = self._inner.retrieve(*args, **kwargs)
        self.background.seen(response)
        return response

    def cancel(self, *args: Any, **kwargs: Any) -> Any:
        response = self._inner.cancel(*args, **kwargs)
        self.background.seen(response)
        return response

    def stream(self, **kwargs: Any) -> Any:
        if not _creates_a_response(kwargs):
            return self._inner.stream(**kwargs)
        return RecordedResponseStream(self._inner, self.create, kwargs)


class AsyncRecordedResponses(AsyncRecordedCreate):
    def __init__(self, inner: Any, config: Any, pending: PendingResponses | None = None) -> None:
        super().__init__(inner, config, RESPONSES_CALLS)
        self.background = BackgroundRecorder(config, RESPONSES_CALLS, pending or PendingResponses())

    async def create(self, **kwargs: Any) -> Any:
        if not is_background(kwargs):
            return await super().create(**kwargs)
        pending = self.background.start(kwargs)
        try:
            response = await self._inner.create(**kwargs)
        except BaseException as exc:
            self.background.create_failed(pending, exc)
            raise
        self.background.created(pending, response)
        return response

    async def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        response = await self._inner.retrieve(*args, **kwargs)
        self.background.seen(response)
        return response

    async def cancel(self, *args: Any, **kwargs: Any) -> Any:
        response = await self._inner.cancel(*args, **kwargs)
        self.background.seen(response)
        return response

    stream = RecordedResponses.stream
