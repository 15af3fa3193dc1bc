"""``instrument(Anthropic())``: ``messages.create`` recorded, everything else untouched."""

from __future__ import annotations

from typing import Any

from cost_pipeline.llm.anthropic_mapping import AnthropicStreamState, output_of, spec_for
from cost_pipeline.llm.anthropic_spans import without_sdk_spans
from cost_pipeline.llm.call import CallConfig
from cost_pipeline.llm.helper_streams import RecordedStreamManager, anthropic_snapshot
from cost_pipeline.llm.passthrough import InstrumentedClient, Passthrough
from cost_pipeline.llm.recording import start_call
from cost_pipeline.llm.streams import AsyncRecordingStream, RecordingStream
from cost_pipeline.llm.usage import from_anthropic


class _Messages(Passthrough):
    def __init__(self, inner: Any, config: CallConfig) -> None:
        super().__init__(inner)
        self._config = config

    def create(self, **kwargs: Any) -> Any:
        spec = spec_for(kwargs)
        with start_call(self._config, spec, from_anthropic) as active:
            try:
                result = self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                active.succeed(model=result.model, usage=result.usage, output=output_of(result))
                return result
        return RecordingStream(result, AnthropicStreamState(), active)

    def stream(self, **kwargs: Any) -> RecordedStreamManager:
        """``messages.stream(...)`` (sync or async ``with``), recorded when the block ends."""
        spec = spec_for({**kwargs, "stream": True})
        return RecordedStreamManager(
            lambda: self._inner.stream(**kwargs),
            lambda: start_call(self._config, spec, from_anthropic),
            anthropic_snapshot,
        )


class _AsyncMessages(_Messages):
    async def create(self, **kwargs: Any) -> Any:  # type: ignore[override]
        spec = spec_for(kwargs)
        with start_call(self._config, spec, from_anthropic) as active:
            try:
                result = await self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                active.succeed(model=result.model, usage=result.usage, output=output_of(result))
                return result
        return AsyncRecordingStream(result, AnthropicStreamState(), active)


class InstrumentedAnthropic(InstrumentedClient):
    """An ``Anthropic`` / ``AsyncAnthropic`` client whose messages are recorded in Langfuse."""

    def __init__(self, client: Any, config: CallConfig, *, is_async: bool) -> None:
        client = without_sdk_spans(client)
        super().__init__(client, config, is_async=is_async)
        messages_class = _AsyncMessages if is_async else _Messages
        self.messages = messages_class(client.messages, config)
