"""Cost of an observation, the way Langfuse decides it (reference notes section 7).

1. Any provided cost wins completely: cost details are kept as sent; the total is the provided
   ``total``, else ``input + output`` when those are the only keys, else unknown.
2. Otherwise usage x price, with prices from genai-prices (cost_pipeline.llm.pricing): cache
   reads, cache writes, reasoning and audio are priced as their own classes, and usage under
   Langfuse's canonical keys, its price table's keys or a provider's raw keys is priced alike.
3. Otherwise (unknown model, or no usage) no cost: empty details, and the row carries no model
   id or prices so a reader can tell "unpriced" from "free".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cost_pipeline.llm import pricing
from cost_pipeline.llm.pricing import ModelRates, TokenUsage

# The usage keys of each token class, read the way the loader reads them (typed_rows.sql), so a
# cost served here and the loader's own pricing of the same usage agree. Langfuse keeps keys as
# sent (e.g. Anthropic's raw input_tokens / output_tokens) and prices every key it has a price
# for. Aliases of one class: the first present wins; parts of one class: added up.
_INPUT_KEYS = ("input", "input_tokens")
_INPUT_PARTS = ("input_text_tokens",)
_CACHE_READ_KEYS = ("input_cached_tokens", "input_cache_read", "cache_read_input_tokens")
_CACHE_WRITE_ALIASES = ("cache_creation_input_tokens", "cache_write_tokens")
_INPUT_AUDIO_KEYS = ("input_audio_tokens", "input_audio")
_OUTPUT_KEYS = ("output", "output_tokens")
# Predicted-output tokens, accepted or rejected, are billed as output (OpenAI).
_OUTPUT_PARTS = (
    "output_text_tokens",
    "output_accepted_prediction_tokens",
    "output_rejected_prediction_tokens",
)
_REASONING_KEYS = ("output_reasoning_tokens", "output_reasoning", "reasoning_tokens")
_OUTPUT_AUDIO_KEYS = ("output_audio_tokens", "output_audio")


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """What a model name resolved to: shown as modelId / inputPrice / outputPrice / totalPrice."""

    model_ref: str  # the name as reported, which genai-prices resolves
    model_id: str
    input_price: str
    output_price: str
    rates: ModelRates
    float_rates: tuple[float, float, float, float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class CostResult:
    cost_details: dict[str, float]
    total_cost: float | None  # None: Langfuse could not derive a total


def _decimal_text(value: Decimal) -> str:
    # Langfuse's v2 API returns prices as plain decimal strings, never exponent notation.
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


@lru_cache(maxsize=4096)
def match_model(model: str | None) -> ModelMatch | None:
    rates = pricing.model_rates(model)
    if rates is None:
        return None
    return ModelMatch(
        model_ref=model or "",
        model_id=rates.model_id,
        input_price=_decimal_text(rates.input),
        output_price=_decimal_text(rates.output),
        rates=rates,
        float_rates=(
            float(rates.input),
            float(rates.cache_read),
            float(rates.cache_write),
            float(rates.cache_write_1h),
            float(rates.output),
            float(rates.reasoning),
            float(rates.input_audio),
            float(rates.output_audio),
        ),
    )


def _first(usage: Mapping[str, int], keys: tuple[str, ...]) -> int:
    for key in keys:
        if key in usage:
            return usage[key]
    return 0


def _sum(usage: Mapping[str, int], keys: tuple[str, ...]) -> int:
    total = 0
    for key in keys:
        if key in usage:
            total += usage[key]
    return total


TokenClasses = tuple[int, int, int, int, int, int, int, int]


def token_classes(usage: Mapping[str, int]) -> TokenClasses:
    """Usage keys -> (input, cache read, cache write 5m, cache write 1h, output, reasoning,
    input audio, output audio): the token classes genai-prices prices, none overlapping another."""
    cache_write_1h = usage.get("input_cache_creation_1h", 0)
    if "input_cache_creation" in usage:
        cache_write = usage["input_cache_creation"]
    elif "input_cache_creation_5m" in usage or "input_cache_creation_1h" in usage:
        cache_write = usage.get("input_cache_creation_5m", 0) + cache_write_1h
    else:
        cache_write = _first(usage, _CACHE_WRITE_ALIASES)
    return (
        _first(usage, _INPUT_KEYS) + _sum(usage, _INPUT_PARTS),
        _first(usage, _CACHE_READ_KEYS),
        max(cache_write - cache_write_1h, 0),
        cache_write_1h,
        _first(usage, _OUTPUT_KEYS) + _sum(usage, _OUTPUT_PARTS),
        _first(usage, _REASONING_KEYS),
        _first(usage, _INPUT_AUDIO_KEYS),
        _first(usage, _OUTPUT_AUDIO_KEYS),
    )


def token_usage(usage: Mapping[str, int]) -> TokenUsage:
    """The same classes as genai-prices' TokenUsage (for tiered models, priced call by call)."""
    tokens = token_classes(usage)
    return TokenUsage(
        input=tokens[0],
        cache_read=tokens[1],
        cache_write=tokens[2],
        cache_write_1h=tokens[3],
        output=tokens[4],
        reasoning=tokens[5],
        input_audio=tokens[6],
        output_audio=tokens[7],
    )


COST_DECIMALS = 12  # Langfuse stores costs as Decimal64(12)


def provided_cost(cost_details: Mapping[str, Any]) -> CostResult:
    details = {
        str(key): round(float(value), COST_DECIMALS)
        for key, value in cost_details.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    }
    if "total" in details:
        return CostResult(details, details["total"])
    if details and set(details) <= {"input", "output"}:
        details["total"] = round(
            details.get("input", 0.0) + details.get("output", 0.0), COST_DECIMALS
        )
        return CostResult(details, details["total"])
    return CostResult(details, None)


def cost_sum(details: Mapping[str, float], needle: str) -> float | None:
    """inputCost / outputCost: the cost keys containing ``needle``, summed (None when none)."""
    values = [value for key, value in details.items() if needle in key]
    return round(sum(values), COST_DECIMALS) if values else None


def _linear_cost(match: ModelMatch, tokens: TokenClasses) -> dict[str, float]:
    r_in, r_read, r_write, r_write_1h, r_out, r_reason, r_audio_in, r_audio_out = match.float_rates
    n_in, n_read, n_write, n_write_1h, n_out, n_reason, n_audio_in, n_audio_out = tokens
    # Keyed like pricing.UsageCost.as_cost_details, the tiered path's details.
    classes = {
        "input": r_in * n_in,
        "input_cached_tokens": r_read * n_read,
        "input_cache_creation": r_write * n_write + r_write_1h * n_write_1h,
        "input_audio_tokens": r_audio_in * n_audio_in,
        "output": r_out * n_out,
        "output_reasoning_tokens": r_reason * n_reason,
        "output_audio_tokens": r_audio_out * n_audio_out,
    }
    details = {key: round(value, COST_DECIMALS) for key, value in classes.items() if value}
    details["total"] = round(sum(classes.values()), COST_DECIMALS)
    return details


def compute_cost(
    match: ModelMatch | None, usage: Mapping[str, int], cost_details: Mapping[str, Any] | None
) -> CostResult:
    if cost_details:
        provided = provided_cost(cost_details)
        if provided.cost_details:
            return provided
    if match is None or not usage:
        return CostResult({}, None)
    if match.rates.tiered:
        priced = pricing.price_usage(match.model_ref, token_usage(usage))
        if priced is not None:
            details = {k: round(v, COST_DECIMALS) for k, v in priced.as_cost_details().items()}
            return CostResult(details, details["total"])
    details = _linear_cost(match, token_classes(usage))
    return CostResult(details, details["total"])
