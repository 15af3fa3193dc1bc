"""Models whose genai-prices rates change over time, found in the installed genai-prices data
(so the tests follow its upgrades), and its own price of a call at a moment, as the oracle."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from genai_prices import Usage, calc_price, data
from genai_prices.types import StartDateConstraint, TieredPrices, TimeOfDateConstraint

CALL = Usage(input_tokens=1_000, output_tokens=1_000)


def genai_price(model: str, at: datetime, usage: Usage = CALL) -> Decimal:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calc_price(usage, model_ref=model, genai_request_timestamp=at).total_price


def _found_by_id(model_id: str) -> bool:
    try:
        return calc_price(CALL, model_ref=model_id).model.id == model_id
    except LookupError:
        return False


def _constrained(kind: type) -> list[tuple[str, object]]:
    """(model, constraint) for models the pipeline can find by their id alone, as it finds
    them by the model name a generation carries."""
    found = []
    for provider in data.providers:
        for model in provider.models:
            if isinstance(model.prices, list) and _found_by_id(model.id):
                for price in model.prices:
                    if isinstance(price.constraint, kind):
                        found.append((model.id, price.constraint))
    return found


def model_with_price_change() -> tuple[str, date]:
    """A model and the first day of a price that differs from the day before's."""
    for model, constraint in _constrained(StartDateConstraint):
        day = constraint.start_date
        noon = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
        if genai_price(model, noon) != genai_price(model, noon - timedelta(days=1)):
            return model, day
    raise AssertionError("genai-prices has no dated price change any more: pick another test")


def model_with_time_of_day_prices() -> str:
    for model, _ in _constrained(TimeOfDateConstraint):
        return model
    raise AssertionError("genai-prices has no time-of-day price any more: pick another test")


def model_with_input_tiers() -> tuple[str, int]:
    """A model whose price rises once a call's input tokens pass a threshold (long-context
    prices), and the first such threshold: a call of more input tokens than it pays the tier."""
    for provider in data.providers:
        for model in provider.models:
            if isinstance(model.prices, list) or not _found_by_id(model.id):
                continue
            starts = [
                tier.start
                for price in vars(model.prices).values()
                if isinstance(price, TieredPrices)
                for tier in price.tiers
            ]
            if starts:
                return model.id, min(starts)
    raise AssertionError("genai-prices has no tiered price any more: pick another test")
