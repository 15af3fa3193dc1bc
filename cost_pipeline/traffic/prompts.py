"""Request arguments for a planned call, per provider SDK."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cost_pipeline.traffic.plan import PlannedCall

MAX_ANSWER_TOKENS = 256
_FILLER = (
    "Answer precisely, cite the internal policy section you rely on, never reveal secrets, "
    "and prefer short lists over long prose. "
)


@lru_cache(maxsize=64)
def system_prompt(feature: str, team: str, tokens: int) -> str:
    """A stable prompt of about ``tokens`` tokens (4 chars each): the same every call, so the
    providers' prompt caches see a repeated prefix."""
    head = f"You are the {feature} assistant run by the {team} team. "
    chars = max(tokens * 4, len(head))
    body = (_FILLER * (chars // len(_FILLER) + 1))[: chars - len(head)]
    return head + body


def openai_request(call: PlannedCall) -> dict[str, Any]:
    feature = call.feature
    system = system_prompt(feature.name, feature.team, feature.system_prompt_tokens)
    kwargs: dict[str, Any] = {
        "model": call.model.name,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": call.question},
        ],
    }
    if call.model.reasoning_effort:
        kwargs["reasoning_effort"] = call.model.reasoning_effort
        kwargs["max_completion_tokens"] = MAX_ANSWER_TOKENS * 8
    else:
        kwargs["max_tokens"] = MAX_ANSWER_TOKENS
    return kwargs


def anthropic_request(call: PlannedCall) -> dict[str, Any]:
    feature = call.feature
    text = system_prompt(feature.name, feature.team, feature.system_prompt_tokens)
    system: Any = text
    if feature.cache_system_prompt:
        system = [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]
    kwargs: dict[str, Any] = {
        "model": call.model.name,
        "system": system,
        "messages": [{"role": "user", "content": call.question}],
        "max_tokens": MAX_ANSWER_TOKENS,
    }
    budget = call.model.thinking_budget
    if budget:
        kwargs["thinking"] = {"type": "enabled", "budget_tokens": budget}
        kwargs["max_tokens"] = budget + MAX_ANSWER_TOKENS
    return kwargs


def request_for(call: PlannedCall, *, simulated: bool) -> dict[str, Any]:
    kwargs = openai_request(call) if call.model.provider == "openai" else anthropic_request(call)
    if call.stream:
        kwargs["stream"] = True
    if simulated and call.fault:
        kwargs["extra_headers"] = {"x-simulator-fault": call.fault}
    return kwargs
