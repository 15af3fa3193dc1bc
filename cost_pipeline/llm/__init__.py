"""Instrumented OpenAI / Anthropic calls recorded as Langfuse generations with actual usage.

    from cost_pipeline.llm import instrument
    client = instrument(OpenAI(), feature="search", team="growth")
    client.chat.completions.create(model="gpt-4o-mini", messages=[...])

``track(user_id=..., session_id=..., **extra)`` adds per-request context; ``recorded_at(ts)``
records calls at another time (synthetic traffic for past days).
"""

from __future__ import annotations

import importlib
from typing import Any

# Resolved on first use: `cost_pipeline.llm.pricing` is imported by the server and the warehouse,
# which must not pay for importing the OpenAI, Anthropic and Langfuse SDKs (~2.5 s of CPU).
_EXPORTS = {
    "RecordedCall": "cost_pipeline.llm.call",
    "instrument": "cost_pipeline.llm.instrumentation",
    "recorded_at": "cost_pipeline.llm.clock",
    "track": "cost_pipeline.llm.context",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cost_pipeline.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
