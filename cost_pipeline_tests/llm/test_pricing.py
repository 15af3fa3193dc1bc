"""Per-token rates from genai-prices must reproduce genai-prices' own totals."""

from decimal import Decimal

import pytest
from genai_prices import calc_price
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_pipeline.llm.pricing import TokenUsage, model_rates, price_usage

FLAT_MODELS = ["gpt-4o-mini-2024-07-18", "o4-mini", "claude-haiku-4-5-20251001"]
TIERED_MODELS = ["claude-sonnet-4-5", "gemini-2.5-pro"]

token_counts = st.integers(min_value=0, max_value=150_000)
usages = st.builds(
    TokenUsage,
    input=token_counts,
    cache_read=token_counts,
    cache_write=token_counts,
    cache_write_1h=token_counts,
    output=token_counts,
    reasoning=token_counts,
    web_searches=st.integers(min_value=0, max_value=20),
    file_searches=st.integers(min_value=0, max_value=20),
)


def library_total(model: str, usage: TokenUsage) -> Decimal:
    return calc_price(usage.as_genai_usage(), model_ref=model).total_price


@pytest.mark.parametrize("model", FLAT_MODELS + TIERED_MODELS)
@settings(max_examples=25, deadline=None)
@given(usage=usages)
def test_priced_total_equals_genai_prices(model: str, usage: TokenUsage) -> None:
    priced = price_usage(model, usage)
    assert priced is not None
    assert priced.total == pytest.approx(library_total(model, usage), rel=Decimal("1e-12"))


@pytest.mark.parametrize("model", TIERED_MODELS)
def test_tiered_models_expose_their_base_tier_rates(model: str) -> None:
    rates = model_rates(model)
    assert rates is not None and rates.tiered
    small = TokenUsage(input=1_000, output=1_000)
    assert rates.cost(small).total == library_total(model, small)


def test_cache_classes_are_priced_apart_from_plain_input() -> None:
    rates = model_rates("claude-haiku-4-5-20251001")
    assert rates is not None
    assert rates.cache_read < rates.input < rates.cache_write < rates.cache_write_1h


def test_unknown_model_has_no_price() -> None:
    assert model_rates("acme-internal-llm-7") is None
    assert price_usage("acme-internal-llm-7", TokenUsage(input=10)) is None
    assert price_usage(None, TokenUsage(input=10)) is None


def test_cost_details_always_carry_a_total() -> None:
    priced = price_usage("gpt-4o-mini-2024-07-18", TokenUsage(input=100, output=10))
    assert priced is not None
    details = priced.as_cost_details()
    assert details["total"] == pytest.approx(details["input"] + details["output"])


def test_file_searches_are_priced_as_genai_prices_storage_searches() -> None:
    usage = TokenUsage(input=100, output=10, file_searches=3)
    priced = price_usage("gpt-4.1", usage)
    assert priced is not None
    searches = calc_price(TokenUsage(file_searches=3).as_genai_usage(), model_ref="gpt-4.1")
    assert priced.file_search == searches.total_price > 0
    assert priced.as_cost_details()["file_search"] == float(searches.total_price)
    assert priced.total == library_total("gpt-4.1", usage)
