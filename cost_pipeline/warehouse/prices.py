"""``model_prices``: genai-prices per-token rates for every model the warehouse has seen."""

from __future__ import annotations

from datetime import date, datetime
from importlib.metadata import version

import duckdb

from cost_pipeline.llm.pricing import model_rates


def priced_by() -> str:
    return f"genai-prices {version('genai-prices')}"


def refresh_model_prices(conn: duckdb.DuckDBPyConnection, day: date, now: datetime) -> int:
    """Price the day's models that have no row yet, or one from an older genai-prices, and
    every model priced before the audio rates existed (migration 004).

    Models genai-prices does not know get no row: the SQL models count their calls as unpriced.
    Returns the number of rows written.
    """
    current = priced_by()
    models = [
        row[0]
        for row in conn.execute(
            """
            select distinct generations.model
            from raw_generations as generations
            left join model_prices as prices on prices.model = generations.model
            where generations.partition_date = ?
                and generations.model is not null
                and (prices.model is null or prices.priced_by is distinct from ?)
            union
            -- Rows without audio rates price no audio (stg_generations leaves such calls
            -- unpriced): all of them are priced again once, whichever day they were seen on.
            select model from model_prices where input_audio_per_token is null
            """,
            [day, current],
        ).fetchall()
    ]
    rows = []
    for model in models:
        rates = model_rates(model)
        if rates is None:
            continue
        rows.append(
            [
                model,
                rates.provider_id,
                rates.model_id,
                rates.input,
                rates.cache_read,
                rates.cache_write,
                rates.cache_write_1h,
                rates.output,
                rates.reasoning,
                rates.input_audio,
                rates.output_audio,
                rates.tiered,
                current,
                now,
            ]
        )
    if rows:
        # A handful of rows per day: one statement over a list literal, not a per-row insert.
        conn.execute(
            "insert or replace into model_prices by name select unnest(?, recursive := true)",
            [[_as_struct(row) for row in rows]],
        )
    return len(rows)


_COLUMNS = (
    "model",
    "provider_id",
    "priced_model_id",
    "input_per_token",
    "cache_read_per_token",
    "cache_write_per_token",
    "cache_write_1h_per_token",
    "output_per_token",
    "reasoning_per_token",
    "input_audio_per_token",
    "output_audio_per_token",
    "tiered",
    "priced_by",
    "updated_at",
)


def _as_struct(row: list[object]) -> dict[str, object]:
    return dict(zip(_COLUMNS, row, strict=True))
