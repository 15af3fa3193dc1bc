"""What one instrumented call is: its configuration, request summary and recorded result."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from cost_pipeline.llm.context import CallContext
from cost_pipeline.llm.pricing import TokenUsage

if TYPE_CHECKING:  # the SDK loads only where calls are recorded, not with every import
    from langfuse import Langfuse

Provider = Literal["openai", "anthropic"]

DEFAULT_GENERATION_NAMES: dict[Provider, str] = {
    "openai": "openai.chat.completions",
    "anthropic": "anthropic.messages",
}


@dataclass(frozen=True)
class RecordedCall:
    """What was recorded for one call; handed to ``on_record`` after the generation ended."""

    provider: Provider
    trace_id: str
    observation_id: str
    requested_model: str
    model: str | None  # as the response named it (resolved snapshot), None on errors
    start_time: datetime
    usage: TokenUsage | None  # None: the response carried no usable usage, or the call failed
    usage_details: Mapping[str, int] | None
    cost_details: Mapping[str, float] | None
    level: Literal["DEFAULT", "WARNING", "ERROR"]
    status_message: str | None
    context: CallContext
    stream: bool


@dataclass(frozen=True)
class CallConfig:
    """Per-client settings from ``instrument(...)``."""

    context: CallContext = field(default_factory=CallContext)
    langfuse: Langfuse | None = None
    capture_io: bool = True
    on_record: Callable[[RecordedCall], None] | None = None


@dataclass(frozen=True)
class CallSpec:
    """The request as the generation records it."""

    provider: Provider
    requested_model: str
    input: Any
    model_parameters: dict[str, Any]
    stream: bool
    # The generation's name unless instrument(name=...) gave one; None: the provider's default.
    name: str | None = None


def model_parameters(kwargs: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Request parameters Langfuse shows beside the model; nested values become JSON text."""
    picked: dict[str, Any] = {}
    for name in names:
        value = kwargs.get(name)
        if value is None or type(value).__name__ == "NotGiven" or type(value).__name__ == "Omit":
            continue
        if isinstance(value, str | int | float | bool):
            picked[name] = value
        else:
            picked[name] = json.dumps(value, sort_keys=True, default=str)
    return picked
