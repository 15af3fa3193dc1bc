"""OpenAI Chat Completions: request summary, response output and stream accumulation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cost_pipeline.llm.call import CallSpec, model_parameters
from cost_pipeline.llm.pricing import PriceContext

PARAMETERS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "reasoning_effort",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
    "n",
    "service_tier",
    "response_format",
    "tool_choice",
)


def format_name(response_format: Any) -> str | None:
    """The name of a structured-output type (``parse(response_format=Model)``), which the SDK
    sends as a JSON schema of that name; None for anything else (a dict is recorded as it is)."""
    return response_format.__name__ if isinstance(response_format, type) else None


def spec_for(kwargs: Mapping[str, Any]) -> CallSpec:
    name = format_name(kwargs.get("response_format"))
    if name:  # the name, not the class's repr nor its whole schema
        kwargs = {
            **kwargs,
            "response_format": {"type": "json_schema", "json_schema": {"name": name}},
        }
    return CallSpec(
        provider="openai",
        requested_model=str(kwargs.get("model")),
        input=kwargs.get("messages"),
        model_parameters=model_parameters(kwargs, PARAMETERS),
        stream=bool(kwargs.get("stream")),
    )


def price_context(response: Any) -> PriceContext:
    """The tier the response says it was served on (flex and priority are priced differently)."""
    tier = getattr(response, "service_tier", None)
    return (("service_tier", tier),) if isinstance(tier, str) and tier else ()


def force_stream_usage(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Ask for the final usage chunk; returns the new kwargs and whether the caller had asked.

    Without ``stream_options.include_usage`` an OpenAI stream carries no usage at all, so the
    wrapper always sets it. When the caller had not asked, the extra usage-only chunk (empty
    ``choices``) is consumed by the wrapper so that the caller's loop sees the same chunks.
    """
    options = kwargs.get("stream_options")
    options = dict(options) if isinstance(options, Mapping) else {}
    asked = bool(options.get("include_usage"))
    options["include_usage"] = True
    return {**kwargs, "stream_options": options}, asked


def output_of(completion: Any) -> Any:
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return None
    message = choices[0].message
    output: dict[str, Any] = {"role": "assistant", "content": message.content}
    if getattr(message, "tool_calls", None):
        output["tool_calls"] = [call.model_dump() for call in message.tool_calls]
    return output


class OpenAIStreamState:
    failure: str | None = None  # a failure raises from the SDK's stream instead

    def __init__(self, forward_usage_chunk: bool) -> None:
        self._forward_usage_chunk = forward_usage_chunk
        self._model: str | None = None
        self._usage: Any = None
        self._text: list[str] = []
        self.content_started = False
        self.finished = False  # a finish_reason arrived: only the usage chunk can follow
        self._price_context: PriceContext = ()

    def observe(self, chunk: Any) -> bool:
        self._model = getattr(chunk, "model", None) or self._model
        self._price_context = price_context(chunk) or self._price_context
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        choices = getattr(chunk, "choices", None) or []
        for choice in choices:
            if getattr(choice, "finish_reason", None):
                self.finished = True
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                self._text.append(delta.content)
                self.content_started = True
            if getattr(delta, "tool_calls", None) or getattr(delta, "refusal", None):
                self.content_started = True
        usage_only = not choices and usage is not None
        return self._forward_usage_chunk or not usage_only

    def model(self) -> str | None:
        return self._model

    def usage(self) -> Any:
        return self._usage

    def price_context(self) -> PriceContext:
        return self._price_context

    def output(self) -> Any:
        return {"role": "assistant", "content": "".join(self._text)}
