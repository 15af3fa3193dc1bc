"""Provider usage -> Langfuse's canonical usage keys, without double counting or losing tokens.

OpenAI's ``cached_tokens`` are part of ``prompt_tokens`` and ``reasoning_tokens`` part of
``completion_tokens``; Anthropic's cache reads and writes come on top of ``input_tokens`` while
thinking tokens are part of ``output_tokens``. Every class below excludes the others, so
``total`` is their plain sum. Audio and predicted-output tokens stay inside input / output.
"""

from __future__ import annotations

from typing import Any

from cost_pipeline.llm.pricing import TokenUsage


def _field(obj: Any, name: str) -> Any:
    """Read a field from an SDK model or a plain dict (streams and tests hand us either)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _count(obj: Any, name: str) -> int:
    value = _field(obj, name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"usage field {name!r} is not a non-negative integer: {value!r}")
    return value


def _checked(usage: TokenUsage, source: str) -> TokenUsage:
    negative = [name for name, value in vars(usage).items() if value < 0]
    if negative:
        raise ValueError(f"{source} usage is inconsistent: negative {', '.join(negative)}")
    return usage


def from_openai(usage: Any) -> TokenUsage | None:
    """``CompletionUsage`` (or its dict) -> token classes; None when the response had none."""
    if usage is None:
        return None
    prompt_details = _field(usage, "prompt_tokens_details")
    completion_details = _field(usage, "completion_tokens_details")
    cached = _count(prompt_details, "cached_tokens")
    reasoning = _count(completion_details, "reasoning_tokens")
    return _checked(
        TokenUsage(
            input=_count(usage, "prompt_tokens") - cached,
            cache_read=cached,
            output=_count(usage, "completion_tokens") - reasoning,
            reasoning=reasoning,
        ),
        "OpenAI",
    )


def from_anthropic(usage: Any) -> TokenUsage | None:
    """Anthropic ``Usage`` (or its dict) -> token classes; None when the response had none."""
    if usage is None:
        return None
    written = _count(usage, "cache_creation_input_tokens")
    breakdown = _field(usage, "cache_creation")
    # Without the TTL breakdown every write is a 5-minute write (the API's default TTL).
    written_1h = min(_count(breakdown, "ephemeral_1h_input_tokens"), written)
    thinking = _count(_field(usage, "output_tokens_details"), "thinking_tokens")
    return _checked(
        TokenUsage(
            input=_count(usage, "input_tokens"),
            cache_read=_count(usage, "cache_read_input_tokens"),
            cache_write=written - written_1h,
            cache_write_1h=written_1h,
            output=_count(usage, "output_tokens") - thinking,
            reasoning=thinking,
        ),
        "Anthropic",
    )


def total_tokens(usage: TokenUsage) -> int:
    return (
        usage.input
        + usage.cache_read
        + usage.cache_write
        + usage.cache_write_1h
        + usage.output
        + usage.reasoning
    )


def usage_details(usage: TokenUsage) -> dict[str, int]:
    """Langfuse ``usage_details``: ``input``, ``output`` and ``total`` always, others when used."""
    written = usage.cache_write + usage.cache_write_1h
    optional = {
        "input_cached_tokens": usage.cache_read,
        "input_cache_creation": written,
        "input_cache_creation_5m": usage.cache_write,
        "input_cache_creation_1h": usage.cache_write_1h,
        "output_reasoning_tokens": usage.reasoning,
    }
    details = {"input": usage.input, "output": usage.output}
    details.update({key: value for key, value in optional.items() if value})
    details["total"] = total_tokens(usage)
    return details
