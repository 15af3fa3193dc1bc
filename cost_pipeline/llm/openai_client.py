"""``instrument(OpenAI())``: ``chat.completions.create`` recorded, everything else untouched."""

from __future__ import annotations

from typing import Any

from cost_pipeline.llm.call import CallConfig
from cost_pipeline.llm.helper_streams import RecordedStreamManager, openai_snapshot
from cost_pipeline.llm.openai_mapping import (
    OpenAIStreamState,
    force_stream_usage,
    output_of,
    spec_for,
)
from cost_pipeline.llm.passthrough import InstrumentedClient, Passthrough
from cost_pipeline.llm.recording import start_call
from cost_pipeline.llm.streams import AsyncRecordingStream, RecordingStream
from cost_pipeline.llm.usage import from_openai


class _Completions(Passthrough):
    def __init__(self, inner: Any, config: CallConfig) -> None:
        super().__init__(inner)
        self._config = config

    def create(self, **kwargs: Any) -> Any:
        spec = spec_for(kwargs)
        asked_for_usage = True
        if spec.stream:
            kwargs, asked_for_usage = force_stream_usage(kwargs)
        with start_call(self._config, spec, from_openai) as active:
            try:
                result = self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                active.succeed(model=result.model, usage=result.usage, output=output_of(result))
                return result
        return RecordingStream(result, OpenAIStreamState(asked_for_usage), active)

    def stream(self, **kwargs: Any) -> RecordedStreamManager:
        """``chat.completions.stream(...)`` (sync or async ``with``), with usage forced on."""
        spec = spec_for({**kwargs, "stream": True})
        kwargs, _ = force_stream_usage(kwargs)
        return RecordedStreamManager(
            lambda: self._inner.stream(**kwargs),
            lambda: start_call(self._config, spec, from_openai),
            openai_snapshot,
        )


class _AsyncCompletions(_Completions):
    async def create(self, **kwargs: Any) -> Any:  # type: ignore[override]
        spec = spec_for(kwargs)
        asked_for_usage = True
        if spec.stream:
            kwargs, asked_for_usage = force_stream_usage(kwargs)
        with start_call(self._config, spec, from_openai) as active:
            try:
                result = await self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                active.succeed(model=result.model, usage=result.usage, output=output_of(result))
                return result
        return AsyncRecordingStream(result, OpenAIStreamState(asked_for_usage), active)


class _Chat(Passthrough):
    def __init__(self, inner: Any, completions: _Completions) -> None:
        super().__init__(inner)
        self.completions = completions


class InstrumentedOpenAI(InstrumentedClient):
    """An ``OpenAI`` / ``AsyncOpenAI`` client whose chat completions are recorded in Langfuse."""

    def __init__(self, client: Any, config: CallConfig, *, is_async: bool) -> None:
        super().__init__(client, config, is_async=is_async)
        completions_class = _AsyncCompletions if is_async else _Completions
        self.chat = _Chat(client.chat, completions_class(client.chat.completions, config))
