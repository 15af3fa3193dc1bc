"""A provider resource (``chat.completions``, ``messages``) whose ``create`` / ``stream`` (and,
where the provider describes it, ``parse``) are recorded; what differs between providers is
described by a ``ProviderCalls``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from cost_pipeline.llm.call import CallConfig, CallSpec
from cost_pipeline.llm.helper_streams import RecordedStreamManager, Snapshot
from cost_pipeline.llm.passthrough import Passthrough
from cost_pipeline.llm.pricing import PriceContext
from cost_pipeline.llm.recording import ActiveGeneration, start_call, status_message_for
from cost_pipeline.llm.streams import AsyncRecordingStream, RecordingStream


def _unchanged(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    return kwargs, True


def _standard_price(_response: Any) -> PriceContext:
    return ()


def _usage_field(response: Any) -> Any:
    return getattr(response, "usage", None)


def _with_raw_response_parse(resource: Any) -> Callable[..., Any]:
    return resource.with_raw_response.parse


@dataclass(frozen=True)
class ProviderCalls:
    spec_for: Callable[[Mapping[str, Any]], CallSpec]
    usage_of: Callable[..., Any]  # what usage_in returns -> Langfuse usage keys
    output_of: Callable[[Any], Any]
    new_stream_state: Callable[[bool], Any]  # (caller asked for the usage chunk) -> state
    snapshot: Callable[[Any], Snapshot | None]  # a stream helper's final message
    # Streaming kwargs the provider needs to report usage -> (kwargs, caller had asked for it).
    prepare_stream: Callable[[dict[str, Any]], tuple[dict[str, Any], bool]] = _unchanged
    # The response -> how it was served, for the price variant (service tier, fast mode).
    price_context_of: Callable[[Any], PriceContext] = _standard_price
    # The raw JSON body -> the (unparsed) response, for a ``parse`` call whose HTTP call succeeded
    # but whose SDK-side parsing failed. None: ``parse`` passes through unrecorded.
    response_from_json: Callable[[Any], Any] | None = None
    # The resource -> its ``parse`` answering with the SDK's raw response (body read, the SDK's
    # parsing left to the response's ``parse()``).
    raw_parse: Callable[[Any], Callable[..., Any]] = _with_raw_response_parse
    # The response -> what usage_of reads (None: no usage). Its usage object, unless the bill
    # needs more of the response (the Responses API's web searches are output items).
    usage_in: Callable[[Any], Any] = _usage_field


class RecordedCreate(Passthrough):
    def __init__(self, inner: Any, config: CallConfig, provider: ProviderCalls) -> None:
        super().__init__(inner)
        self._config = config
        self._provider = provider

    def create(self, **kwargs: Any) -> Any:
        spec, kwargs, asked_for_usage = self._prepare(kwargs)
        with start_call(self._config, spec, self._provider.usage_of) as active:
            try:
                result = self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                return self._succeed(active, result)
        return RecordingStream(result, self._provider.new_stream_state(asked_for_usage), active)

    def parse(self, **kwargs: Any) -> Any:
        """The SDK's structured-output helper (non-streaming), recorded like ``create``."""
        if self._provider.response_from_json is None:
            return self._inner.parse(**kwargs)  # AttributeError where the SDK has none
        # Through the raw response: when the SDK's parsing of a billed answer fails (cut by a
        # token cap, not matching the model), its usage is still in the body.
        request = self._provider.raw_parse(self._inner)
        with start_call(
            self._config, self._provider.spec_for(kwargs), self._provider.usage_of
        ) as active:
            try:
                raw = request(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            return self._parsed(active, raw)

    def stream(self, **kwargs: Any) -> RecordedStreamManager:
        """The SDK's stream helper (sync or async ``with``), recorded when the block ends."""
        spec = self._provider.spec_for({**kwargs, "stream": True})
        kwargs, _ = self._provider.prepare_stream(kwargs)
        return RecordedStreamManager(
            lambda: self._inner.stream(**kwargs),
            lambda: start_call(self._config, spec, self._provider.usage_of),
            self._provider.snapshot,
        )

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[CallSpec, dict[str, Any], bool]:
        spec = self._provider.spec_for(kwargs)
        if not spec.stream:
            return spec, kwargs, True
        kwargs, asked_for_usage = self._provider.prepare_stream(kwargs)
        return spec, kwargs, asked_for_usage

    def _succeed(self, active: ActiveGeneration, result: Any) -> Any:
        output = self._provider.output_of(result)
        active.succeed(
            model=result.model,
            usage=self._provider.usage_in(result),
            output=output,
            price_context=self._provider.price_context_of(result),
        )
        return result

    def _parsed(self, active: ActiveGeneration, raw: Any) -> Any:
        try:
            result = raw.parse()  # the SDK's own parsing: what the caller gets, or its error
        except BaseException as exc:
            self._billed_failure(active, raw, exc)
            raise
        return self._succeed(active, result)

    def _billed_failure(self, active: ActiveGeneration, raw: Any, exc: BaseException) -> None:
        """ERROR with the usage of the answer the SDK could not parse (flagged as missing if the
        body cannot be read): the provider billed it all the same."""
        response: Any = None
        with suppress(Exception):
            response = self._provider.response_from_json(raw.http_response.json())  # type: ignore[misc]
        output = None
        with suppress(Exception):
            output = self._provider.output_of(response) if response is not None else None
        active.succeed(
            model=getattr(response, "model", None),
            usage=self._provider.usage_in(response),
            output=output,
            price_context=self._provider.price_context_of(response) if response else (),
            failure=status_message_for(exc),
        )


class AsyncRecordedCreate(RecordedCreate):
    async def create(self, **kwargs: Any) -> Any:  # type: ignore[override]
        spec, kwargs, asked_for_usage = self._prepare(kwargs)
        with start_call(self._config, spec, self._provider.usage_of) as active:
            try:
                result = await self._inner.create(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            if not spec.stream:
                return self._succeed(active, result)
        state = self._provider.new_stream_state(asked_for_usage)
        return AsyncRecordingStream(result, state, active)

    async def parse(self, **kwargs: Any) -> Any:  # type: ignore[override]
        if self._provider.response_from_json is None:
            return await self._inner.parse(**kwargs)
        request = self._provider.raw_parse(self._inner)
        with start_call(
            self._config, self._provider.spec_for(kwargs), self._provider.usage_of
        ) as active:
            try:
                raw = await request(**kwargs)
            except BaseException as exc:
                active.fail(exc)
                raise
            try:
                result = raw.parse()
                # openai's async raw response parses at once, anthropic's in a coroutine.
                if inspect.isawaitable(result):
                    result = await result
            except BaseException as exc:
                self._billed_failure(active, raw, exc)  # the body is already read
                raise
            return self._succeed(active, result)
