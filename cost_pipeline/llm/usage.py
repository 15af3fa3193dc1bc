"""Provider usage -> Langfuse's canonical usage keys, without double counting or losing tokens.

OpenAI's ``cached_tokens``, ``cache_write_tokens`` and ``audio_tokens`` are part of
``prompt_tokens`` (``input_tokens`` in the Responses API), its ``reasoning_tokens`` and
``audio_tokens`` part of ``completion_tokens`` (``output_tokens``);
Anthropic's cache reads and writes come on top of ``input_tokens`` while thinking tokens are part
of ``output_tokens``. Every class below excludes the others, so ``total`` is their plain sum.
Predicted-output tokens stay inside output (OpenAI bills them as output).
"""

from __future__ import annotations

from dataclasses import replace
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
    prompt = _count(usage, "prompt_tokens")
    cached = _count(prompt_details, "cached_tokens")
    written = _count(prompt_details, "cache_write_tokens")
    # Audio priced at its own (higher) rates. Should cached audio also count in cached_tokens,
    # the overlap stays cached rather than making the whole usage inconsistent.
    audio_in = min(_count(prompt_details, "audio_tokens"), max(prompt - cached - written, 0))
    reasoning = _count(completion_details, "reasoning_tokens")
    audio_out = _count(completion_details, "audio_tokens")
    return _checked(
        TokenUsage(
            input=prompt - cached - written - audio_in,
            cache_read=cached,
            cache_write=written,
            output=_count(usage, "completion_tokens") - reasoning - audio_out,
            reasoning=reasoning,
            input_audio=audio_in,
            output_audio=audio_out,
        ),
        "OpenAI",
    )


def from_openai_responses(usage: Any) -> TokenUsage | None:
    """Responses API ``ResponseUsage`` (or its dict): chat's accounting under other names, cached
    and cache-write tokens part of ``input_tokens``, reasoning part of ``output_tokens``."""
    if usage is None:
        return None
    input_details = _field(usage, "input_tokens_details")
    reasoning = _count(_field(usage, "output_tokens_details"), "reasoning_tokens")
    cached = _count(input_details, "cached_tokens")
    written = _count(input_details, "cache_write_tokens")
    return _checked(
        TokenUsage(
            input=_count(usage, "input_tokens") - cached - written,
            cache_read=cached,
            cache_write=written,
            output=_count(usage, "output_tokens") - reasoning,
            reasoning=reasoning,
        ),
        "OpenAI Responses",
    )


def _output_items(response: Any, kind: str) -> int:
    """How many of ``response.output``'s items are of type ``kind``.

    Every item counts, whatever its status: neither OpenAI's SDK types nor its pricing say a
    ``failed`` (or ``incomplete``) tool call is not billed, and under-counting a billed call is
    the error this pipeline exists to avoid."""
    items = _field(response, "output") or []
    return sum(1 for item in items if _field(item, "type") == kind)


def web_search_calls(response: Any) -> int:
    """The Responses API's built-in web search calls: one ``web_search_call`` output item each."""
    return _output_items(response, "web_search_call")


def file_search_calls(response: Any) -> int:
    """The Responses API's built-in file search calls: one ``file_search_call`` output item
    each (genai-prices prices them as ``storage_searches``)."""
    return _output_items(response, "file_search_call")


def from_openai_response(response: Any) -> TokenUsage | None:
    """A whole Responses API response -> its tokens plus its web and file searches, billed per
    call on top of the tokens; they are counted from ``output``, not reported in ``usage``."""
    tokens = from_openai_responses(_field(response, "usage"))
    if tokens is None:
        return None
    return replace(
        tokens,
        web_searches=web_search_calls(response),
        file_searches=file_search_calls(response),
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
            # Billed per search on top of the tokens.
            web_searches=_count(_field(usage, "server_tool_use"), "web_search_requests"),
        ),
        "Anthropic",
    )


def total_tokens(usage: TokenUsage) -> int:
    return usage.input_tokens + usage.output + usage.reasoning + usage.output_audio


def usage_details(usage: TokenUsage) -> dict[str, int]:
    """Langfuse ``usage_details``: ``input``, ``output`` and ``total`` always, others when used.

    No key overlaps another: Langfuse sums every ``input*`` key into inputUsage and prices each
    key it has a price for, so cache writes go either under ``input_cache_creation`` (all at the
    default 5-minute TTL) or split into ``_5m`` and ``_1h``, never both.
    """
    split_ttl = usage.cache_write_1h > 0
    optional = {
        "input_cached_tokens": usage.cache_read,
        "input_cache_creation": 0 if split_ttl else usage.cache_write,
        "input_cache_creation_5m": usage.cache_write if split_ttl else 0,
        "input_cache_creation_1h": usage.cache_write_1h,
        "input_audio_tokens": usage.input_audio,
        "output_reasoning_tokens": usage.reasoning,
        "output_audio_tokens": usage.output_audio,
    }
    details = {"input": usage.input, "output": usage.output}
    details.update({key: value for key, value in optional.items() if value})
    details["total"] = total_tokens(usage)
    return details
