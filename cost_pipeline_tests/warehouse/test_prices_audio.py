"""model_prices carries genai-prices' audio rates; rows priced before they existed are priced
again, whichever day their model was seen on."""

from datetime import date, datetime

import duckdb

from cost_pipeline.llm.pricing import model_rates
from cost_pipeline.warehouse.prices import priced_by, refresh_model_prices
from cost_pipeline.warehouse.schema import ensure_schema

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21)
MODEL = "gpt-4o-realtime-preview"


def audio_rates(conn, model):
    return conn.execute(
        "select input_audio_per_token, output_audio_per_token from model_prices where model = ?",
        [model],
    ).fetchone()


def test_audio_rates_are_written_and_rows_without_them_priced_again():
    with duckdb.connect() as conn:
        ensure_schema(conn)
        conn.execute(
            "insert into raw_generations (id, partition_date, start_time, model, loaded_at) "
            "values ('g', ?, ?, ?, ?)",
            [DAY, datetime(2026, 11, 20, 1), MODEL, NOW],
        )
        assert refresh_model_prices(conn, DAY, NOW) == 1
        rates = model_rates(MODEL)
        assert audio_rates(conn, MODEL) == (rates.input_audio, rates.output_audio)
        # A row written before migration 004, for a model not seen on the day being loaded.
        conn.execute(
            "insert into model_prices (model, provider_id, input_per_token, priced_by) "
            "values ('gpt-4o', 'openai', 0.0000025, ?)",
            [priced_by()],
        )
        assert refresh_model_prices(conn, DAY, NOW) == 1
        gpt_4o = model_rates("gpt-4o")
        assert audio_rates(conn, "gpt-4o") == (gpt_4o.input_audio, gpt_4o.output_audio)
        assert refresh_model_prices(conn, DAY, NOW) == 0
