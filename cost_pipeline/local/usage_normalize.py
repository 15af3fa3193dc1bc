"""Usage details as Langfuse stores them, from whatever shape a client sent.

Accepted, in Langfuse's order: the OpenAI Chat Completions usage object, the OpenAI Responses
usage object (both normalised to canonical keys, details subtracted from the inclusive counts),
or a flat map of non-negative integers. The ``gen_ai.usage.*`` / ``llm.token_count.*`` span
attributes of plain OpenTelemetry clients are normalised the same way. When no ``total`` is
given, total is the sum of all keys, exactly like Langfuse (which double counts if a client
sends an inclusive ``input`` plus cache buckets; that is the client's bug to fix, not ours).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_CHAT_KEYS = frozenset(
    {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    }
)
_RESPONSES_KEYS = frozenset(
    {
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "input_tokens_details",
        "output_tokens_details",
    }
)


def non_negative_int(value: Any) -> int | None:
    """Langfuse keeps non-negative integers; numeric strings are parsed, floats dropped."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
    return None


def _details_shape(
    usage: Mapping[str, Any], required: tuple[str, str, str], allowed: frozenset[str]
) -> bool:
    return all(key in usage for key in required) and set(usage) <= allowed


def _split_inclusive(total: Any, details: Any, prefix: str, out: dict[str, int]) -> None:
    """``prefix`` = inclusive count minus every detail; each detail as ``prefix_<key>``."""
    inclusive = non_negative_int(total) or 0
    subtracted = 0
    if isinstance(details, Mapping):
        for key, raw in details.items():
            count = non_negative_int(raw)
            if count is None:
                continue
            out[f"{prefix}_{key}"] = count
            subtracted += count
    out[prefix] = max(inclusive - subtracted, 0)


def normalize_usage_details(usage: Any) -> dict[str, int]:
    """Canonical usage details from a parsed ``usage_details`` value ({} when unusable)."""
    if not isinstance(usage, Mapping):
        return {}
    out: dict[str, int] = {}
    if "prompt_tokens" not in usage and "input_tokens" not in usage:
        return _flat(usage)  # the common case: already Langfuse's canonical keys
    if _details_shape(usage, ("prompt_tokens", "completion_tokens", "total_tokens"), _CHAT_KEYS):
        _split_inclusive(usage["prompt_tokens"], usage.get("prompt_tokens_details"), "input", out)
        _split_inclusive(
            usage["completion_tokens"], usage.get("completion_tokens_details"), "output", out
        )
        out["total"] = non_negative_int(usage["total_tokens"]) or 0
        return out
    if _details_shape(usage, ("input_tokens", "output_tokens", "total_tokens"), _RESPONSES_KEYS):
        _split_inclusive(usage["input_tokens"], usage.get("input_tokens_details"), "input", out)
        _split_inclusive(usage["output_tokens"], usage.get("output_tokens_details"), "output", out)
        out["total"] = non_negative_int(usage["total_tokens"]) or 0
        return out
    return _flat(usage)


def _flat(usage: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, raw in usage.items():
        count = raw if type(raw) is int and raw >= 0 else non_negative_int(raw)
        if count is not None:
            out[str(key)] = count
    return with_total(out)


def with_total(usage: dict[str, int]) -> dict[str, int]:
    if usage and "total" not in usage:
        usage["total"] = sum(usage.values())
    return usage


# --- gen_ai.usage.* / llm.token_count.* attributes -----------------------------------------

_INPUT = ("prompt_tokens", "input_tokens", "prompt")
_OUTPUT = ("completion_tokens", "output_tokens", "completion")
_TOTAL = ("total_tokens", "total")
_CACHE_READ = (
    "cache_read.input_tokens",
    "cache_read_input_tokens",
    "cache_read_tokens",
    "input_cached_tokens",
    "prompt_tokens_details.cached_tokens",
    "cached_tokens",
)
_CACHE_WRITE = (
    "cache_creation.input_tokens",
    "cache_creation_input_tokens",
    "cache_write_tokens",
    "input_cache_creation",
)
_REASONING = (
    "reasoning_tokens",
    "output_reasoning_tokens",
    "completion_tokens_details.reasoning_tokens",
)
_AUDIO_OUT = ("output_audio_tokens", "completion_tokens_details.audio_tokens")
_PREFIXES = ("gen_ai.usage.", "llm.token_count.")


def _first(values: Mapping[str, int], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in values:
            return values[name]
    return None


def usage_from_semconv(attributes: Mapping[str, Any]) -> dict[str, int]:
    """Usage from OpenTelemetry GenAI / OpenInference token attributes ({} when none)."""
    raw: dict[str, int] = {}
    for key, value in attributes.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                count = non_negative_int(value)
                if count is None and isinstance(value, float) and value.is_integer():
                    count = int(value) if value >= 0 else None
                if count is not None:
                    raw[key[len(prefix) :]] = count
    if not raw:
        return {}
    consumed = set(_INPUT + _OUTPUT + _TOTAL + _CACHE_READ + _CACHE_WRITE + _REASONING + _AUDIO_OUT)
    cache_read = _first(raw, _CACHE_READ)
    cache_write = _first(raw, _CACHE_WRITE)
    reasoning = _first(raw, _REASONING)
    audio_out = _first(raw, _AUDIO_OUT)
    out: dict[str, int] = {}
    inclusive_in = _first(raw, _INPUT)
    if inclusive_in is not None:
        out["input"] = max(inclusive_in - (cache_read or 0) - (cache_write or 0), 0)
    inclusive_out = _first(raw, _OUTPUT)
    if inclusive_out is not None:
        out["output"] = max(inclusive_out - (reasoning or 0) - (audio_out or 0), 0)
    for key, count in (
        ("input_cached_tokens", cache_read),
        ("input_cache_creation", cache_write),
        ("output_reasoning_tokens", reasoning),
        ("output_audio_tokens", audio_out),
    ):
        if count is not None:
            out[key] = count
    total = _first(raw, _TOTAL)
    if total is not None:
        out["total"] = total
    for key, count in raw.items():
        if key not in consumed and key != "cost":
            out.setdefault(key.removeprefix("details."), count)
    return with_total(out)
