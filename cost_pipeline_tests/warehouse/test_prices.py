"""model_prices: genai-prices' rates for each model on each day, in the periods they hold."""

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from cost_pipeline.llm.pricing import model_rates
from cost_pipeline.warehouse.prices import priced_by, refresh_model_prices
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline_tests.price_history import (
    CALL,
    genai_price,
    model_with_price_change,
    model_with_time_of_day_prices,
)

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21)
ONE_DAY = timedelta(days=1)


def add_generations(conn, *rows: tuple[datetime, str | None]) -> None:
    conn.executemany(
        "insert into raw_generations (id, partition_date, start_time, model, loaded_at) "
        "values (?, ?, ?, ?, ?)",
        [(f"g{i}", start.date(), start, model, NOW) for i, (start, model) in enumerate(rows)],
    )


def refresh(conn, start: date = DAY, end: date = DAY + ONE_DAY) -> int:
    return refresh_model_prices(conn, start, end, NOW)


def periods(conn, model: str) -> list[tuple]:
    return conn.execute(
        "select partition_date, valid_from, valid_to, input_per_token, output_per_token "
        "from model_prices where model = ? order by valid_from",
        [model],
    ).fetchall()


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        ensure_schema(connection)
        one_am = datetime(2026, 11, 20, 1)
        add_generations(
            connection,
            (one_am, "gpt-4o"),
            (one_am, "gpt-4o"),
            (one_am, "no-such-model-xyz"),
            (one_am, None),
        )
        yield connection


def test_known_models_get_the_rates_of_their_day(conn):
    assert refresh(conn) == 1
    row = conn.execute(
        "select model, partition_date, valid_from, valid_to, provider_id, input_per_token, "
        "cache_read_per_token, output_per_token, input_audio_per_token, "
        "output_audio_per_token, tiered, priced_by from model_prices"
    ).fetchone()
    midnight = datetime(2026, 11, 20)
    rates = model_rates("gpt-4o", (), midnight.replace(tzinfo=UTC))
    assert row == (
        "gpt-4o",
        DAY,
        midnight,
        midnight + ONE_DAY,
        rates.provider_id,
        rates.input,
        rates.cache_read,
        rates.output,
        rates.input_audio,
        rates.output_audio,
        rates.tiered,
        priced_by(),
    )


def test_rates_are_written_again_only_for_another_genai_prices(conn):
    refresh(conn)
    assert refresh(conn) == 0
    conn.execute("update model_prices set priced_by = 'genai-prices 0.0.1'")
    assert refresh(conn) == 1
    assert conn.execute("select priced_by from model_prices").fetchall() == [(priced_by(),)]


def test_rates_written_by_other_means_are_left_alone(conn):
    conn.execute(
        "insert into model_prices (model, partition_date, valid_from, valid_to, "
        "input_per_token, priced_by) values ('no-such-model-xyz', ?, ?, ?, 0.000001, 'manual')",
        [DAY, datetime(2026, 11, 20), datetime(2026, 11, 21)],
    )
    assert refresh(conn) == 1  # gpt-4o only
    assert conn.execute(
        "select priced_by from model_prices where model = 'no-such-model-xyz'"
    ).fetchall() == [("manual",)]


def test_each_day_gets_the_rates_in_force_that_day():
    model, change = model_with_price_change()
    before, after = change - ONE_DAY, change
    with duckdb.connect() as conn:
        ensure_schema(conn)
        add_generations(
            conn,
            (datetime.combine(before, datetime.min.time()) + timedelta(hours=12), model),
            (datetime.combine(after, datetime.min.time()) + timedelta(hours=12), model),
        )
        assert refresh(conn, before, after + ONE_DAY) >= 2
        for day in (before, after):
            noon = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
            [(input_rate, output_rate)] = conn.execute(
                "select input_per_token, output_per_token from model_prices "
                "where model = ? and partition_date = ? and valid_from <= ? and valid_to > ?",
                [model, day, noon.replace(tzinfo=None), noon.replace(tzinfo=None)],
            ).fetchall()
            tokens = CALL.input_tokens, CALL.output_tokens
            assert input_rate * tokens[0] + output_rate * tokens[1] == genai_price(model, noon)


def test_time_of_day_prices_tile_the_day_in_periods():
    model = model_with_time_of_day_prices()
    with duckdb.connect() as conn:
        ensure_schema(conn)
        add_generations(conn, (datetime(2026, 11, 20, 12), model))
        refresh(conn)
        rows = periods(conn, model)
    midnight = datetime(2026, 11, 20)
    assert rows[0][1] == midnight and rows[-1][2] == midnight + ONE_DAY
    assert all(rows[i][2] == rows[i + 1][1] for i in range(len(rows) - 1))  # no gap, no overlap
    assert len({(row[3], row[4]) for row in rows}) >= 2
    for _, valid_from, valid_to, input_rate, output_rate in rows:
        for moment in (valid_from, valid_to - timedelta(seconds=1)):
            price = genai_price(model, moment.replace(tzinfo=UTC))
            assert input_rate * CALL.input_tokens + output_rate * CALL.output_tokens == price
