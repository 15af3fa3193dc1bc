"""Model prices from the genai-prices library, applied per token class.

genai-prices' ``calc_price`` resolves the model on every call (~250 us), too slow for pricing
every span of a busy day. For models with flat prices cost is linear in each token class, so we
ask genai-prices once per model for the price of a probe of each class and divide. Models with
tiered prices (e.g. long-context tiers) have rates per tier (``model_rate_tiers``): a call is
priced at the tier its input tokens put it in; their ``model_rates`` are the base tier's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from genai_prices import Usage, calc_price
from genai_prices.types import ModelInfo, ModelPrice, PriceCalculation, TieredPrices

# Small enough to stay below every long-context tier threshold, so probes see base-tier prices;
# Decimal arithmetic keeps the division exact.
_PROBE_TOKENS = 1_000

# What the response says about how it was served, as genai-prices selects price variants by it:
# (("service_tier", "flex"),) for OpenAI's flex processing, (("speed", "fast"),) for Anthropic's
# fast mode. Empty: the standard price.
PriceContext = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TokenUsage:
    """Token classes as Langfuse's canonical usage keys count them (no class overlaps another)."""

    input: int = 0  # uncached prompt tokens
    cache_read: int = 0
    cache_write: int = 0  # 5-minute (or unspecified) cache writes
    cache_write_1h: int = 0
    output: int = 0  # completion tokens excluding reasoning
    reasoning: int = 0
    input_audio: int = 0  # audio prompt tokens (not in input)
    output_audio: int = 0  # audio completion tokens (not in output)
    web_searches: int = 0  # server-side web searches, billed per search (not tokens)
    file_searches: int = 0  # built-in file (vector store) searches, billed per call

    @property
    def input_tokens(self) -> int:
        """All input tokens as genai-prices counts them (cache and audio included): what puts
        a call in a long-context tier."""
        return (
            self.input + self.cache_read + self.cache_write + self.cache_write_1h + self.input_audio
        )

    def as_genai_usage(self) -> Usage:
        # genai-prices counts reasoning and audio tokens inside output_tokens.
        return Usage(
            input_tokens=self.input_tokens,
            cache_read_tokens=self.cache_read,
            cache_write_tokens=self.cache_write + self.cache_write_1h,
            cache_write_1h_tokens=self.cache_write_1h,
            input_audio_tokens=self.input_audio,
            output_tokens=self.output + self.reasoning + self.output_audio,
            output_reasoning_tokens=self.reasoning,
            output_audio_tokens=self.output_audio,
            web_searches=self.web_searches,
            storage_searches=self.file_searches,
        )


@dataclass(frozen=True)
class UsageCost:
    """USD cost per class, keyed like Langfuse's ``costDetails``."""

    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    input_audio: Decimal = Decimal(0)
    output_audio: Decimal = Decimal(0)
    web_search: Decimal = Decimal(0)
    file_search: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return (
            self.input
            + self.cache_read
            + self.cache_write
            + self.output
            + self.reasoning
            + self.input_audio
            + self.output_audio
            + self.web_search
            + self.file_search
        )

    def as_cost_details(self) -> dict[str, float]:
        details = {
            "input": self.input,
            "input_cached_tokens": self.cache_read,
            "input_cache_creation": self.cache_write,
            "input_audio_tokens": self.input_audio,
            "output": self.output,
            "output_reasoning_tokens": self.reasoning,
            "output_audio_tokens": self.output_audio,
            "web_search": self.web_search,
            "file_search": self.file_search,
        }
        priced = {key: float(value) for key, value in details.items() if value}
        priced["total"] = float(self.total)
        return priced


@dataclass(frozen=True)
class ModelRates:
    """USD per token for each class, as genai-prices prices that class for this model."""

    model_id: str
    provider_id: str
    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal
    output: Decimal
    reasoning: Decimal
    tiered: bool
    input_audio: Decimal = Decimal(0)
    output_audio: Decimal = Decimal(0)
    web_search: Decimal = Decimal(0)  # per search
    file_search: Decimal = Decimal(0)  # per search (genai-prices' storage_searches)

    def cost(self, usage: TokenUsage) -> UsageCost:
        return UsageCost(
            input=self.input * usage.input,
            cache_read=self.cache_read * usage.cache_read,
            cache_write=self.cache_write * usage.cache_write
            + self.cache_write_1h * usage.cache_write_1h,
            output=self.output * usage.output,
            reasoning=self.reasoning * usage.reasoning,
            input_audio=self.input_audio * usage.input_audio,
            output_audio=self.output_audio * usage.output_audio,
            web_search=self.web_search * usage.web_searches,
            file_search=self.file_search * usage.file_searches,
        )


def _calc(
    usage: Usage, model: str, context: PriceContext, at: datetime | None = None
) -> PriceCalculation:
    return calc_price(
        usage, model_ref=model, price_context=dict(context) or None, genai_request_timestamp=at
    )


def model_info(model: str | None) -> ModelInfo | None:
    """genai-prices' entry for ``model`` (its prices over time), None when it is unknown."""
    if not model:
        return None
    try:
        return _calc(Usage(input_tokens=1, output_tokens=1), model, ()).model
    except LookupError:
        return None


@lru_cache(maxsize=4096)
def model_rates(
    model: str | None, context: PriceContext = (), at: datetime | None = None
) -> ModelRates | None:
    """Per-token rates for ``model`` (served as ``context`` says) at ``at`` (a UTC time; None:
    now, for a call being made), None when the model is unknown."""
    if not model:
        return None
    try:
        probe = _calc(Usage(input_tokens=1, output_tokens=1), model, context, at)
    except LookupError:
        return None

    def per_token(**usage: int) -> Decimal:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _calc(Usage(**usage), model, context, at).total_price / _PROBE_TOKENS

    n = _PROBE_TOKENS
    return ModelRates(
        model_id=probe.model.id,
        provider_id=probe.provider.id,
        input=per_token(input_tokens=n),
        cache_read=per_token(input_tokens=n, cache_read_tokens=n),
        cache_write=per_token(input_tokens=n, cache_write_tokens=n),
        cache_write_1h=per_token(input_tokens=n, cache_write_tokens=n, cache_write_1h_tokens=n),
        output=per_token(output_tokens=n),
        reasoning=per_token(output_tokens=n, output_reasoning_tokens=n),
        tiered=_has_tiers(probe.model_price),
        # A model without its own audio price bills audio tokens as text (genai-prices' rule).
        input_audio=per_token(input_tokens=n, input_audio_tokens=n),
        output_audio=per_token(output_tokens=n, output_audio_tokens=n),
        web_search=per_token(web_searches=n),
        file_search=per_token(storage_searches=n),
    )


def _has_tiers(price: ModelPrice) -> bool:
    return any(isinstance(value, TieredPrices) for value in vars(price).values())


def _tier_starts(price: ModelPrice) -> list[int]:
    """Input token counts above which a higher tier's rates apply, in order."""
    return sorted(
        {
            tier.start
            for value in vars(price).values()
            if isinstance(value, TieredPrices)
            for tier in value.tiers
        }
    )


@lru_cache(maxsize=4096)
def model_rate_tiers(
    model: str | None, context: PriceContext = (), at: datetime | None = None
) -> tuple[tuple[int, ModelRates], ...]:
    """``model``'s rates by input size: (fewest input tokens, rates) per tier, the base tier
    (from 0) first. genai-prices charges every token of a call at the tier its input tokens
    (cache reads, cache writes and audio included) put it in: above a tier's start, all of them.
    Empty when the model is unknown; one entry for a model without tiers."""
    base = model_rates(model, context, at)
    if base is None:
        return ()
    if not base.tiered:
        return ((0, base),)
    price = _calc(Usage(input_tokens=1, output_tokens=1), model or "", context, at).model_price
    return (
        (0, base),
        *(
            (start + 1, _tier_rates(model or "", context, at, base, start + 1))
            for start in _tier_starts(price)
        ),
    )


def _tier_rates(
    model: str, context: PriceContext, at: datetime | None, base: ModelRates, tokens: int
) -> ModelRates:
    """The per-token rates of a call of ``tokens`` input tokens (the tier's first count)."""

    def price(**usage: int) -> Decimal:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _calc(Usage(**usage), model, context, at).total_price

    n = tokens
    m = _PROBE_TOKENS
    # Every probe holds ``tokens`` input tokens, so it is priced in this tier; an input class
    # is probed with all of them, an output class by what its tokens add to the input's price.
    inputs = price(input_tokens=n)

    def output(**usage: int) -> Decimal:
        return (price(input_tokens=n, **usage) - inputs) / m

    return replace(
        base,
        input=inputs / n,
        cache_read=price(input_tokens=n, cache_read_tokens=n) / n,
        cache_write=price(input_tokens=n, cache_write_tokens=n) / n,
        cache_write_1h=price(input_tokens=n, cache_write_tokens=n, cache_write_1h_tokens=n) / n,
        input_audio=price(input_tokens=n, input_audio_tokens=n) / n,
        output=output(output_tokens=m),
        reasoning=output(output_tokens=m, output_reasoning_tokens=m),
        output_audio=output(output_tokens=m, output_audio_tokens=m),
    )


def price_usage(
    model: str | None, usage: TokenUsage, context: PriceContext = ()
) -> UsageCost | None:
    """Cost of ``usage`` on ``model``; None when the model has no known price."""
    rates = model_rates(model, context)
    if rates is None:
        return None
    if not rates.tiered:
        return rates.cost(usage)
    # Every token of the call is priced at the tier its input tokens put it in.
    tiers = model_rate_tiers(model, context)
    return next(r for start, r in reversed(tiers) if usage.input_tokens >= start).cost(usage)
