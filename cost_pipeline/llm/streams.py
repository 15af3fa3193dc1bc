"""Stream proxies: the caller iterates the SDK stream as usual, we watch it go by.

The generation ends when the stream ends: normally (usage recorded), with an error (level
ERROR, the error re-raised), or early because the caller stopped reading (level WARNING,
``stream_incomplete``). Everything else is delegated to the SDK's stream object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from itertools import islice
from typing import Any, Protocol

from cost_pipeline.llm.pricing import PriceContext
from cost_pipeline.llm.recording import ActiveGeneration


class StreamState(Protocol):
    content_started: bool
    finished: bool  # the provider said it was done; what may follow carries no content
    failure: str | None  # the provider said, in the stream, that the call failed

    def observe(self, item: Any) -> bool:
        """Take note of one chunk / event; False hides it from the caller."""
        ...

    def model(self) -> str | None: ...

    def usage(self) -> Any: ...

    def output(self) -> Any: ...

    def price_context(self) -> PriceContext: ...


def _observe(state: StreamState, active: ActiveGeneration, item: Any) -> bool:
    forward = state.observe(item)
    if state.content_started:
        active.first_token()
    return forward


def _finish(state: StreamState, active: ActiveGeneration, exc: BaseException | None) -> None:
    if active.ended:
        return
    seen = {
        "model": state.model(),
        "usage": state.usage(),
        "output": state.output(),
        "price_context": state.price_context(),
    }
    if exc is None:
        active.succeed(**seen, failure=state.failure)
    elif isinstance(exc, GeneratorExit):
        active.abandon(**seen)
    else:
        active.fail(exc)


# Items read after the caller stopped, when the provider had already finished: OpenAI sends the
# usage chunk after the one with finish_reason, and a caller that stops there has had the whole
# answer; recording it without usage would leave a billed call unpriced.
_DRAIN_AFTER_FINISH = 8


def _stopped_after_finish(state: StreamState) -> bool:
    return state.finished and state.usage() is None


def drain(stream: Any, observe: Callable[[Any], object] = lambda _: None) -> None:
    """Read what the provider still sends after its finish (never raises: the connection may be
    gone, and then the call stays without usage)."""
    with suppress(Exception):
        for item in islice(stream, _DRAIN_AFTER_FINISH):
            observe(item)


async def drain_async(stream: Any, observe: Callable[[Any], object] = lambda _: None) -> None:
    with suppress(Exception):
        drained = 0
        async for item in stream:
            observe(item)
            drained += 1
            if drained >= _DRAIN_AFTER_FINISH:
                break


def _finish_stopped(state: StreamState, active: ActiveGeneration) -> None:
    """The caller stopped reading: complete when the provider had finished and usage came."""
    _finish(state, active, None if state.finished and state.usage() else GeneratorExit())


# The watchers are plain functions, not methods: a generator holding the proxy would form a
# reference cycle with it, so a stream left with ``break`` and dropped would be recorded only when
# the cyclic garbage collector ran (never, in a short script that exits first).
def _watch(stream: Any, state: StreamState, active: ActiveGeneration) -> Iterator[Any]:
    try:
        for item in stream:
            if _observe(state, active, item):
                yield item
    except GeneratorExit:
        if _stopped_after_finish(state):
            drain(stream, state.observe)
        _finish_stopped(state, active)
        raise
    except BaseException as exc:
        _finish(state, active, exc)
        raise
    _finish(state, active, None)


async def _watch_async(
    stream: Any, state: StreamState, active: ActiveGeneration
) -> AsyncIterator[Any]:
    try:
        async for item in stream:
            if _observe(state, active, item):
                yield item
    except GeneratorExit:
        if _stopped_after_finish(state):
            await drain_async(stream, state.observe)
        _finish_stopped(state, active)
        raise
    except BaseException as exc:
        _finish(state, active, exc)
        raise
    _finish(state, active, None)


class RecordingStream:
    def __init__(self, stream: Any, state: StreamState, active: ActiveGeneration) -> None:
        self._stream = stream
        self._state = state
        self._active = active
        self._items = _watch(stream, state, active)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        self._items.close()  # GeneratorExit inside _watch records an early stop
        _finish(self._state, self._active, GeneratorExit())  # never started: still record
        self._stream.close()

    def settle(self, exc: BaseException | None) -> None:
        """A stream helper's block over this stream ended, with the caller's ``exc`` if any: that
        fails the call, as for the helpers of helper_streams.py; otherwise as ``close()``."""
        if exc is not None:
            _finish(self._state, self._active, exc)
        self.close()

    def __del__(self) -> None:
        # A stream dropped without being read to the end or closed still ends its generation.
        if not getattr(self, "_active", None) or self._active.ended:
            return
        with suppress(Exception):  # nothing sensible to do about it during garbage collection
            self._items.close()  # as close(): reads a pending usage chunk after the finish
            _finish(self._state, self._active, GeneratorExit())

    def __enter__(self) -> RecordingStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncRecordingStream:
    def __init__(self, stream: Any, state: StreamState, active: ActiveGeneration) -> None:
        self._stream = stream
        self._state = state
        self._active = active
        self._items = _watch_async(stream, state, active)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return await self._items.__anext__()

    async def close(self) -> None:
        await self._items.aclose()
        _finish(self._state, self._active, GeneratorExit())
        await self._stream.close()

    async def settle(self, exc: BaseException | None) -> None:
        if exc is not None:
            _finish(self._state, self._active, exc)
        await self.close()

    def __del__(self) -> None:
        if not getattr(self, "_active", None) or self._active.ended:
            return
        # A finaliser cannot await the pending usage chunk, and leaving it to asyncio's
        # async-generator finaliser fails: the SDK's own generators are being finalised at the
        # same time ("aclose(): asynchronous generator is already running"). Close async streams
        # (async with, or await close()) to have it read.
        with suppress(Exception):  # nothing sensible to do about it during garbage collection
            _finish(self._state, self._active, GeneratorExit())

    async def __aenter__(self) -> AsyncRecordingStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
