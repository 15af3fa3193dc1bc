"""OpenAI Responses API: request summary, response output and stream accumulation.

A Responses stream always carries usage (no ``stream_options`` to set): the whole response,
usage included, comes in its last lifecycle event, ``response.completed``, ``response.incomplete``
(cut short, e.g. by ``max_output_tokens``: still a billed answer) or ``response.failed``
(recorded as ERROR with the usage it reports).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cost_pipeline.llm.call import CallSpec, model_parameters
from cost_pipeline.llm.openai_mapping import format_name, price_context
from cost_pipeline.llm.pricing import PriceContext

GENERATION_NAME = "openai.responses"

PARAMETERS = (
    "background",
    "temperature",
    "top_p",
    "max_output_tokens",
    "max_tool_calls",
    "reasoning",
    "service_tier",
    "text",
    "tool_choice",
    "top_logprobs",
    "truncation",
)

_FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


def spec_for(kwargs: Mapping[str, Any]) -> CallSpec:
    """``input`` (a string or a list of items) as messages, ``instructions`` as the system one,
    so Langfuse shows a Responses call like a chat call."""
    given = kwargs.get("input")
    messages = [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages = [{"role": "system", "content": instructions}, *messages]
    name = format_name(kwargs.get("text_format"))
    if name:  # parse(text_format=Model): the SDK sends it as text.format, recorded by its name
        text = kwargs.get("text")
        text = dict(text) if isinstance(text, Mapping) else {}
        kwargs = {**kwargs, "text": {**text, "format": {"type": "json_schema", "name": name}}}
    return CallSpec(
        provider="openai",
        requested_model=str(kwargs.get("model")),
        input=messages,
        model_parameters=model_parameters(kwargs, PARAMETERS),
        stream=bool(kwargs.get("stream")),
        name=GENERATION_NAME,
    )


def output_of(response: Any) -> Any:
    items = getattr(response, "output", None) or []
    texts = [
        part.text
        for item in items
        if getattr(item, "type", None) == "message"
        for part in getattr(item, "content", None) or []
        if getattr(part, "type", None) == "output_text"
    ]
    output: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    calls = [item.model_dump() for item in items if getattr(item, "type", None) == "function_call"]
    if calls:
        output["tool_calls"] = calls
    return output


def billed(response: Any) -> Any:
    """What ``from_openai_response`` prices: the whole response, as its web searches are output
    items beside the usage; None when it carries no usage (so the call is flagged as such)."""
    return response if getattr(response, "usage", None) is not None else None


def failure_of(error: Any) -> str:
    """``response.failed``'s error (or an ``error`` event) as the status message."""
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or "the response failed"
    return f"response failed: {code}: {message}" if code else f"response failed: {message}"


class ResponsesStreamState:
    def __init__(self, _asked_for_usage: bool = True) -> None:
        self._model: str | None = None
        self._final: Any = None  # the response of the last lifecycle event
        self._text: list[str] = []
        self._price_context: PriceContext = ()
        self.content_started = False
        self.finished = False  # a final lifecycle event (or an error event) arrived
        self.failure: str | None = None

    def observe(self, event: Any) -> bool:
        kind = getattr(event, "type", None) or ""
        response = getattr(event, "response", None)
        if response is not None:  # every lifecycle event carries the response so far
            self._model = getattr(response, "model", None) or self._model
            self._price_context = price_context(response) or self._price_context
        if kind in _FINAL_EVENTS:
            self._final = response
            self.finished = True
            if kind == "response.failed":
                self.failure = failure_of(getattr(response, "error", None))
        elif kind == "error":  # the API gave up mid-stream; no response (nor usage) follows
            self.failure = failure_of(event)
            self.finished = True
        elif kind == "response.output_text.delta":
            self._text.append(event.delta)
            self.content_started = True
        elif kind.endswith(".delta"):  # reasoning summaries, refusals, tool-call arguments
            self.content_started = True
        return True

    def model(self) -> str | None:
        return self._model

    def usage(self) -> Any:
        return billed(self._final)

    def price_context(self) -> PriceContext:
        return self._price_context

    def output(self) -> Any:
        if self._final is not None and getattr(self._final, "output", None):
            return output_of(self._final)
        return {"role": "assistant", "content": "".join(self._text)}
