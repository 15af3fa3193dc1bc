"""stg_generations prices a generation exactly: the same cost, to the last of its 12 decimals, as
exact decimal arithmetic (Python's Decimal: the sum of tokens x rate per class, rounded half away
from zero), whichever path the model takes (64-bit pico-USD integers or 128-bit decimals)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    Rates,
    create_contract_tables,
    insert_generations,
    insert_rates,
)

DAY = date(2026, 6, 10)
TOKEN_CLASSES = (
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "visible_output_tokens",
    "reasoning_tokens",
)
ATTO = Decimal("1e-18")


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    create_contract_tables(connection)
    run_models(connection, DAY)  # creates the stg_generations view (it reads the live tables)
    yield connection
    connection.close()


def exact_cost(generation: Generation, rates: Rates) -> Decimal | None:
    tokens = {name: getattr(generation, name) or 0 for name in TOKEN_CLASSES}
    if not any(count for name, count in tokens.items() if name != "cache_write_1h_tokens"):
        return None  # no usage (the 1-hour writes are part of the cache writes): no price
    one_hour = min(tokens["cache_write_1h_tokens"], tokens["cache_write_tokens"])
    cost = (
        tokens["uncached_input_tokens"] * rates.input
        + tokens["cache_read_tokens"] * rates.cache_read
        + (tokens["cache_write_tokens"] - one_hour) * rates.cache_write
        + one_hour * rates.cache_write_1h
        + tokens["visible_output_tokens"] * rates.output
        + tokens["reasoning_tokens"] * rates.reasoning
    )
    return cost.quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)


def priced(
    con, rows: list[Generation], rates: Rates
) -> list[tuple[Decimal | None, Decimal | None]]:
    con.execute("delete from raw_generations")
    con.execute("delete from model_prices")
    insert_rates(con, "m", rates, days=(DAY, DAY + timedelta(days=1)))
    insert_generations(con, rows)
    got = dict(
        con.execute(
            "select generation_id, genai_prices_cost_usd from stg_generations "
            "where genai_prices_cost_usd is not null"
        ).fetchall()
    )
    return [(got.get(row.id), exact_cost(row, rates)) for row in rows]


def generation(**tokens: int) -> Generation:
    return Generation(DAY, model="m", **{name: tokens.get(name, 0) for name in TOKEN_CLASSES})


# Rates at 18 decimals (the model_prices column): whole pico-USD ones (the 64-bit path), finer
# ones and ones above 0.001 USD per token (the 128-bit path).
pico_rates = st.integers(0, 10**9).map(lambda pico: Decimal(pico) * Decimal("1e-12"))
fine_rates = st.integers(0, 10**16).map(lambda atto: Decimal(atto) * ATTO)
rates = st.one_of(pico_rates, pico_rates, fine_rates)
token_counts = st.one_of(
    st.integers(0, 10**6), st.integers(0, 2 * 10**9), st.sampled_from([0, 10**9, 10**9 + 1])
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rate_values=st.tuples(*[rates] * 6),
    counts=st.lists(st.tuples(*[token_counts] * 6), min_size=1, max_size=8),
)
def test_every_generation_costs_exactly_tokens_times_rates(con, rate_values, counts):
    rows = [generation(**dict(zip(TOKEN_CLASSES, c, strict=True))) for c in counts]
    for got, want in priced(con, rows, Rates(*rate_values)):
        assert got == want


@pytest.mark.parametrize(
    ("rate", "tokens", "cost"),
    [
        # the 64-bit path at its bounds: 5 classes x 1e9 tokens x 1e9 pico-USD (0.001 USD)
        (Decimal("0.001"), 10**9, Decimal("5000000")),
        # one token more, or a rate above 0.001: the 128-bit path, the same exact answer
        (Decimal("0.001"), 10**9 + 1, Decimal("5000000.005")),
        (Decimal("0.002"), 10**9, Decimal("10000000")),
        # finer than a pico-USD: rounded once, half away from zero (2.5e-12 -> 3e-12)
        (Decimal("0.0000000000005"), 1, Decimal("0.000000000003")),
        (Decimal("0.00000000000049"), 1, Decimal("0.000000000002")),
        (Decimal("0.000000000000083"), 1, Decimal("0")),
    ],
)
def test_bounds_of_the_integer_path_and_rounding_of_finer_rates(con, rate, tokens, cost):
    # Every class billed: cache writes split evenly between 5-minute and 1-hour.
    row = generation(
        uncached_input_tokens=tokens,
        cache_read_tokens=tokens,
        cache_write_tokens=tokens,
        cache_write_1h_tokens=tokens // 2,
        visible_output_tokens=tokens,
        reasoning_tokens=tokens,
    )
    [(got, want)] = priced(con, [row], Rates(rate, rate, rate, rate, rate, rate))
    assert got == want == cost
