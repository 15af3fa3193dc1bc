"""Instrumented OpenAI / Anthropic calls recorded as Langfuse generations with actual usage.

    from cost_pipeline.llm import instrument
    client = instrument(OpenAI(), feature="search", team="growth")
    client.chat.completions.create(model="gpt-4o-mini", messages=[...])

``track(user_id=..., session_id=..., **extra)`` adds per-request context; ``recorded_at(ts)``
records calls at another time (synthetic traffic for past days).
"""

from cost_pipeline.llm.call import RecordedCall
from cost_pipeline.llm.clock import recorded_at
from cost_pipeline.llm.context import track
from cost_pipeline.llm.instrument import instrument

__all__ = ["RecordedCall", "instrument", "recorded_at", "track"]
