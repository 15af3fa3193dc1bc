from datetime import date, datetime

import duckdb
import pytest

from cost_pipeline.llm.pricing import model_rates
from cost_pipeline.warehouse.prices import priced_by, refresh_model_prices
from cost_pipeline.warehouse.schema import ensure_schema

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21)


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        ensure_schema(connection)
        connection.executemany(
            "insert into raw_generations (id, partition_date, start_time, model, loaded_at) "
            "values (?, ?, ?, ?, ?)",
            [
                (f"g{i}", DAY, datetime(2026, 11, 20, 1), model, NOW)
                for i, model in enumerate(["gpt-4o", "gpt-4o", "no-such-model-xyz", None])
            ],
        )
        yield connection


def test_known_models_get_genai_prices_rates(conn):
    assert refresh_model_prices(conn, DAY, NOW) == 1
    row = conn.execute(
        "select model, provider_id, input_per_token, cache_read_per_token, output_per_token, "
        "tiered, priced_by from model_prices"
    ).fetchone()
    rates = model_rates("gpt-4o")
    assert row == (
        "gpt-4o",
        rates.provider_id,
        rates.input,
        rates.cache_read,
        rates.output,
        rates.tiered,
        priced_by(),
    )


def test_priced_models_are_not_priced_again_unless_the_library_changed(conn):
    refresh_model_prices(conn, DAY, NOW)
    assert refresh_model_prices(conn, DAY, NOW) == 0
    conn.execute("update model_prices set priced_by = 'genai-prices 0.0.1'")
    assert refresh_model_prices(conn, DAY, NOW) == 1
    assert conn.execute("select priced_by from model_prices").fetchall() == [(priced_by(),)]
