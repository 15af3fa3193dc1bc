"""A model's genai-prices rates over one UTC day, as the periods in which they hold.

Prices change over time: from a date on (a price cut, a new model version's rates), and for a
few models by time of day (DeepSeek's off-peak hours). A call is priced at the rates of its own
start time, so a day is priced once per period rather than at today's rates. Within a period,
long-context models have rates by the call's input size (tiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from genai_prices.types import ModelInfo, TimeOfDateConstraint

from cost_pipeline.llm.pricing import ModelRates, model_info, model_rate_tiers


@dataclass(frozen=True)
class PricePeriod:
    """``tiers`` hold for calls starting in [starts, ends) (naive UTC): (fewest input tokens,
    rates) per tier, the base tier (from 0 input tokens) first."""

    starts: datetime
    ends: datetime
    tiers: tuple[tuple[int, ModelRates], ...]

    @property
    def rates(self) -> ModelRates:
        """The base tier's rates (a model without tiers has only these)."""
        return self.tiers[0][1]


def day_price_periods(model: str | None, day: date) -> list[PricePeriod]:
    """The periods covering ``day`` in order, adjacent ones with equal rates merged; empty when
    genai-prices does not know the model."""
    info = model_info(model)
    if info is None:
        return []
    midnight = datetime.combine(day, time())
    starts = sorted({midnight, *(midnight + offset for offset in _time_of_day_changes(info))})
    periods: list[PricePeriod] = []
    for start, end in zip(starts, [*starts[1:], midnight + timedelta(days=1)], strict=True):
        tiers = model_rate_tiers(model, (), start.replace(tzinfo=UTC))
        if not tiers:
            return []
        if periods and periods[-1].tiers == tiers:
            periods[-1] = PricePeriod(periods[-1].starts, end, tiers)
        else:
            periods.append(PricePeriod(start, end, tiers))
    return periods


def _time_of_day_changes(info: ModelInfo) -> set[timedelta]:
    """Offsets from UTC midnight at which a time-of-day price starts or ends."""
    conditional = info.prices if isinstance(info.prices, list) else []
    changes = set()
    for price in conditional:
        constraint = price.constraint
        if isinstance(constraint, TimeOfDateConstraint):
            changes |= {_utc_offset(constraint.start_time), _utc_offset(constraint.end_time)}
    return changes


def _utc_offset(moment: time) -> timedelta:
    # A constraint's time may carry its own zone; a naive one is UTC. Converted on the date
    # genai-prices converts it on (1970-01-01), so a zone whose offset changed since agrees.
    aware = datetime.combine(date(1970, 1, 1), moment.replace(tzinfo=moment.tzinfo or UTC))
    utc = aware.astimezone(UTC)
    return timedelta(
        hours=utc.hour, minutes=utc.minute, seconds=utc.second, microseconds=utc.microsecond
    )
