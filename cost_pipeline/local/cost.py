"""Cost of an observation, the way Langfuse decides it (reference notes section 7).

1. Any provided cost wins completely: cost details are kept as sent; the total is the provided
   ``total``, else ``input + output`` when those are the only keys, else unknown.
2. Otherwise usage x price, with prices from genai-prices (cost_pipeline.llm.pricing): cache
   reads, cache writes and reasoning are priced as their own classes.
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

_CACHE_READ_KEYS = ("input_cached_tokens", "input_cache_read", "cache_read_input_tokens")
_CACHE_WRITE_KEYS = ("input_cache_creation", "cache_creation_input_tokens")
_REASONING_KEYS = ("output_reasoning_tokens", "output_reasoning")


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """What a model name resolved to: shown as modelId / inputPrice / outputPrice / totalPrice."""

    model_ref: str  # the name as reported, which genai-prices resolves
    model_id: str
    input_price: str
    output_price: str
    rates: ModelRates
    float_rates: tuple[float, float, float, float, float, float]


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
        ),
    )


def _first(usage: Mapping[str, int], keys: tuple[str, ...]) -> int:
    for key in keys:
        if key in usage:
            return usage[key]
    return 0


TokenClasses = tuple[int, int, int, int, int, int]


def token_classes(usage: Mapping[str, int]) -> TokenClasses:
    """Langfuse canonical usage keys -> (input, cache read, cache write 5m, cache write 1h,
    output, reasoning): the token classes genai-prices prices, no class overlapping another."""
    cache_write = _first(usage, _CACHE_WRITE_KEYS)
    cache_write_1h = usage.get("input_cache_creation_1h", 0)
    if not cache_write:
        cache_write = usage.get("input_cache_creation_5m", 0) + cache_write_1h
    return (
        usage.get("input", 0),
        _first(usage, _CACHE_READ_KEYS),
        max(cache_write - cache_write_1h, 0),
        cache_write_1h,
        usage.get("output", 0),
        _first(usage, _REASONING_KEYS),
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
    r_in, r_read, r_write, r_write_1h, r_out, r_reason = match.float_rates
    n_in, n_read, n_write, n_write_1h, n_out, n_reason = tokens
    classes = {
        "input": r_in * n_in,
        "input_cached_tokens": r_read * n_read,
        "input_cache_creation": r_write * n_write + r_write_1h * n_write_1h,
        "output": r_out * n_out,
        "output_reasoning_tokens": r_reason * n_reason,
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
