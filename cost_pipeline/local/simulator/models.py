"""Model names as the providers answer them: aliases resolve to dated snapshots.

Cost attribution must price the model that actually ran, so the simulator answers with the
resolved name (``gpt-4o-mini`` -> ``gpt-4o-mini-2024-07-18``) exactly like the real APIs do.
Names not listed here are echoed back unchanged (unknown models stay unknown).
"""

from __future__ import annotations

import re

RESOLVED_MODELS: dict[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "gpt-5-nano": "gpt-5-nano-2025-08-07",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-opus-4-5": "claude-opus-4-5-20251101",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
}

# o-series and gpt-5 family think before answering; the chat-tuned gpt-5 variant does not.
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-5(?!-chat))")

# How many reasoning tokens per visible token each effort level spends.
REASONING_PER_VISIBLE = {"minimal": 0, "low": 1, "medium": 3, "high": 6}

NO_USAGE_MODEL_PREFIX = "sim-no-usage"


def resolve_model(requested: str) -> str:
    return RESOLVED_MODELS.get(requested, requested)


def is_openai_reasoning_model(model: str) -> bool:
    return bool(_OPENAI_REASONING.match(model))


def openai_reasoning_tokens(model: str, effort: object, visible: int, cap: int | None) -> int:
    """Reasoning tokens a reasoning model spends on ``visible`` answer tokens; ``cap`` (the
    request's output limit) bounds reasoning and answer together, as OpenAI counts them."""
    if not is_openai_reasoning_model(model):
        return 0
    medium = REASONING_PER_VISIBLE["medium"]
    wanted = visible * REASONING_PER_VISIBLE.get(str(effort or "medium"), medium)
    return wanted if cap is None else max(0, min(wanted, cap - visible))


def answers_without_usage(model: str) -> bool:
    """Models named ``sim-no-usage*`` answer without a usage block (to test that path)."""
    return model.startswith(NO_USAGE_MODEL_PREFIX)
