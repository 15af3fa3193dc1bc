"""Anthropic Messages: request summary, response output and stream accumulation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_origin

from cost_pipeline.llm.call import CallSpec, model_parameters
from cost_pipeline.llm.pricing import PriceContext

PARAMETERS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "thinking",
    "service_tier",
    "tool_choice",
    "output_config",
    "output_format",
)


def format_name(output_format: Any) -> Any:
    """``parse(output_format=City)`` is recorded as ``City``, not as the class's repr (the SDK
    sends the type's JSON schema), ``list[City]`` as that text; anything else as it is."""
    if isinstance(output_format, type):
        return output_format.__name__
    return str(output_format) if get_origin(output_format) is not None else output_format


def spec_for(kwargs: Mapping[str, Any]) -> CallSpec:
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if isinstance(system, str | list) and system:
        messages = [{"role": "system", "content": system}, *messages]
    if "output_format" in kwargs:
        kwargs = {**kwargs, "output_format": format_name(kwargs["output_format"])}
    return CallSpec(
        provider="anthropic",
        requested_model=str(kwargs.get("model")),
        input=messages,
        model_parameters=model_parameters(kwargs, PARAMETERS),
        stream=bool(kwargs.get("stream")),
    )


def output_of(message: Any) -> Any:
    blocks = getattr(message, "content", None) or []
    text = "".join(getattr(block, "text", "") for block in blocks if block.type == "text")
    output: dict[str, Any] = {"role": "assistant", "content": text}
    tools = [block.model_dump() for block in blocks if block.type == "tool_use"]
    if tools:
        output["tool_calls"] = tools
    return output


def price_context_of_usage(usage: Any) -> PriceContext:
    """Fast mode (``usage.speed``) is priced apart; the response carries it in its usage."""
    speed = usage.get("speed") if isinstance(usage, Mapping) else getattr(usage, "speed", None)
    return (("speed", speed),) if speed == "fast" else ()


def price_context(message: Any) -> PriceContext:
    return price_context_of_usage(getattr(message, "usage", None))


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return value.model_dump(exclude_none=True)


class AnthropicStreamState:
    """Usage comes in two parts: input and cache counts in ``message_start``, the cumulative
    output count (and, from newer APIs, updated input counts) in ``message_delta``."""

    failure: str | None = None  # an `error` event raises from the SDK's stream instead

    def __init__(self) -> None:
        self._model: str | None = None
        self._start_usage: Any = None
        self._delta_usage: Any = None
        self._text: list[str] = []
        self.content_started = False
        self.finished = False  # message_delta (stop reason and output usage) arrived

    def observe(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self._model = event.message.model
            self._start_usage = getattr(event.message, "usage", None)
        elif kind == "content_block_delta":
            self.content_started = True
            if event.delta.type == "text_delta":
                self._text.append(event.delta.text)
        elif kind == "message_delta":
            self._delta_usage = getattr(event, "usage", None)
            self.finished = True
        return True

    def model(self) -> str | None:
        return self._model

    def usage(self) -> Any:
        if self._start_usage is None and self._delta_usage is None:
            return None
        merged = _as_dict(self._start_usage)
        merged.update(_as_dict(self._delta_usage))
        return merged

    def output(self) -> Any:
        return {"role": "assistant", "content": "".join(self._text)}

    def price_context(self) -> PriceContext:
        return price_context_of_usage(self.usage())
