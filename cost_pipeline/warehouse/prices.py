"""``model_prices``: genai-prices per-token rates for each model on each day it was called.

A model's rates are kept per day, in the periods of that day in which they hold (a price
changes from a date on, and for some models by time of day), so each generation is priced at
the rates of its own start time; a long-context model has a row per tier of input size in each
period, so each generation is priced at the tier its input tokens put it in. Models
genai-prices does not know get no row: the SQL models count their calls as unpriced.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib.metadata import version

import duckdb

from cost_pipeline.llm.price_periods import day_price_periods
from cost_pipeline.warehouse.transaction import transaction

_LIBRARY = "genai-prices "


def priced_by() -> str:
    return f"{_LIBRARY}{version('genai-prices')}"


# The days of [start, end) with a model that has no rates for that day yet, or only rates from
# another genai-prices (whose corrected history then applies). Rates written by anything else
# (a test, a user's own) are left alone. The window's (model, day) pairs are found first: a
# probe of model_prices per stored row cost 0.25-0.9 s over 10M rows, against 0.07 s.
_UNPRICED_SQL = """
with called as (
    select distinct model, partition_date
    from raw_generations
    where partition_date >= $start and partition_date < $end and model is not null
)
select called.model, called.partition_date
from called
where not exists (
    select 1
    from model_prices as prices
    where prices.model = called.model
        and prices.partition_date = called.partition_date
        and (
            prices.priced_by = $priced_by
            or not starts_with(coalesce(prices.priced_by, ''), $library)
        )
)
order by all
"""


def refresh_model_prices(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, now: datetime | None = None
) -> int:
    """Price every model called on a day in [start, end) that has no current rates for that
    day (``now``: their updated_at, naive UTC). Returns the number of rows written (one per
    model, day, price period and tier of input size)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    current = priced_by()
    unpriced = conn.execute(
        _UNPRICED_SQL, {"start": start, "end": end, "priced_by": current, "library": _LIBRARY}
    ).fetchall()
    if not unpriced:
        return 0
    rows = [
        {
            "model": model,
            "partition_date": day,
            "valid_from": period.starts,
            "valid_to": period.ends,
            "input_tokens_from": tokens_from,
            "input_tokens_to": tokens_to,
            "provider_id": rates.provider_id,
            "priced_model_id": rates.model_id,
            "input_per_token": rates.input,
            "cache_read_per_token": rates.cache_read,
            "cache_write_per_token": rates.cache_write,
            "cache_write_1h_per_token": rates.cache_write_1h,
            "output_per_token": rates.output,
            "reasoning_per_token": rates.reasoning,
            "input_audio_per_token": rates.input_audio,
            "output_audio_per_token": rates.output_audio,
            "tiered": rates.tiered,
            "priced_by": current,
            "updated_at": now,
        }
        for model, day in unpriced
        for period in day_price_periods(model, day)
        for (tokens_from, rates), tokens_to in zip(
            period.tiers, [*(start for start, _ in period.tiers[1:]), None], strict=True
        )
    ]
    with transaction(conn):
        # Rates from another genai-prices go whole: its periods may differ from the new ones.
        conn.execute(
            "delete from model_prices where starts_with(priced_by, ?) "
            "and (model, partition_date) in (select unnest(?, recursive := true))",
            [_LIBRARY, [{"model": model, "partition_date": day} for model, day in unpriced]],
        )
        if rows:
            # One statement over a list literal, not a per-row insert.
            conn.execute(
                "insert into model_prices by name select unnest(?, recursive := true)", [rows]
            )
    return len(rows)
