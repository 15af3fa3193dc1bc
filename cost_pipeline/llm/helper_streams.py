"""The SDKs' stream helpers (``chat.completions.stream``, ``messages.stream``), recorded.

The helper's manager is entered as usual and the caller gets the SDK's own stream object, so
``text_stream``, ``get_final_message()`` / ``get_final_completion()`` all work unchanged. When
the ``with`` block ends we read the SDK's accumulated snapshot: model, usage, text. The helpers
consume the stream internally, so the first-token time is not observable here and
``completion_start_time`` stays empty for helper calls.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from typing import Any

from cost_pipeline.llm.anthropic_mapping import price_context as anthropic_price_context
from cost_pipeline.llm.openai_mapping import price_context as openai_price_context
from cost_pipeline.llm.pricing import PriceContext
from cost_pipeline.llm.recording import ActiveGeneration
from cost_pipeline.llm.streams import drain, drain_async


@dataclass(frozen=True)
class Snapshot:
    model: str | None
    usage: Any
    output: Any
    finished: bool  # the provider said it was done (finish / stop reason seen)
    price_context: PriceContext = ()


def openai_snapshot(stream: Any) -> Snapshot | None:
    try:
        snapshot = stream.current_completion_snapshot
    except AssertionError:  # nothing arrived yet
        return None
    choice = snapshot.choices[0] if snapshot.choices else None
    return Snapshot(
        model=snapshot.model,
        usage=snapshot.usage,
        output={"role": "assistant", "content": choice.message.content if choice else None},
        finished=bool(choice and choice.finish_reason),
        price_context=openai_price_context(snapshot),
    )


def anthropic_snapshot(stream: Any) -> Snapshot | None:
    try:
        snapshot = stream.current_message_snapshot
    except AssertionError:
        return None
    text = "".join(block.text for block in snapshot.content if block.type == "text")
    return Snapshot(
        model=snapshot.model,
        usage=snapshot.usage,
        output={"role": "assistant", "content": text},
        finished=snapshot.stop_reason is not None,
        price_context=anthropic_price_context(snapshot),
    )


def _settle(active: ActiveGeneration, snapshot: Snapshot | None, exc: BaseException | None) -> None:
    if active.ended:
        return
    if exc is not None and not isinstance(exc, GeneratorExit):
        active.fail(exc)
    elif snapshot is not None:
        seen = {
            "model": snapshot.model,
            "usage": snapshot.usage,
            "output": snapshot.output,
            "price_context": snapshot.price_context,
        }
        (active.succeed if snapshot.finished else active.abandon)(**seen)
    else:
        active.abandon(model=None, usage=None, output=None)


class RecordedStreamManager:
    """Stands in for the SDK's stream manager (``with`` and ``async with``)."""

    def __init__(
        self,
        make_manager: Callable[[], Any],
        start: Callable[[], AbstractContextManager[ActiveGeneration]],
        read: Callable[[Any], Snapshot | None],
    ) -> None:
        self._make_manager = make_manager
        self._start = start
        self._read = read
        self._manager: Any = None
        self._stream: Any = None
        self._active: ActiveGeneration | None = None

    def __enter__(self) -> Any:
        with self._start() as active:
            self._active = active
            try:
                self._manager = self._make_manager()
                self._stream = self._manager.__enter__()  # the request happens here
            except BaseException as exc:
                active.fail(exc)
                raise
        return self._stream

    def _stopped_after_finish(self) -> bool:
        # The block ended after the provider finished but before OpenAI's usage chunk (e.g. on
        # content.done): that chunk is read too, or a billed call would look usage-less.
        snapshot = self._read(self._stream)
        return snapshot is not None and snapshot.finished and snapshot.usage is None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            # Never in the caller's way: the connection may be gone (then it stays usage-less).
            with suppress(Exception):
                if exc is None and self._stopped_after_finish():
                    drain(self._stream)
            return self._manager.__exit__(exc_type, exc, tb)
        finally:
            assert self._active is not None
            _settle(self._active, self._read(self._stream), exc)

    async def __aenter__(self) -> Any:
        with self._start() as active:
            self._active = active
            try:
                self._manager = self._make_manager()
                self._stream = await self._manager.__aenter__()
            except BaseException as exc:
                active.fail(exc)
                raise
        return self._stream

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            with suppress(Exception):
                if exc is None and self._stopped_after_finish():
                    await drain_async(self._stream)
            return await self._manager.__aexit__(exc_type, exc, tb)
        finally:
            assert self._active is not None
            _settle(self._active, self._read(self._stream), exc)
