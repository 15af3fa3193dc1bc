"""Langfuse's usage normalisation and cost rules, as pure functions."""

from __future__ import annotations

import pytest

from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline.local.cost import compute_cost, match_model, token_classes
from cost_pipeline.local.usage_normalize import normalize_usage_details, usage_from_semconv
from cost_pipeline.warehouse.parse import USAGE_KEYS
from cost_pipeline_tests.local.usage_shapes import (
    AUDIO_CHAT,
    AUDIO_CHAT_CLASSES,
    CLAUDE_RAW,
    CLAUDE_RAW_CLASSES,
)


def test_flat_usage_keeps_non_negative_ints_and_derives_total():
    usage = {"input": 10, "output": "5", "weird": -3, "float": 1.5, "nested": {"a": 1}}
    assert normalize_usage_details(usage) == {"input": 10, "output": 5, "total": 15}


def test_declared_total_is_kept_even_when_it_disagrees():
    assert normalize_usage_details({"input": 1, "output": 1, "total": 99})["total"] == 99


def test_openai_chat_shape_subtracts_details():
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "prompt_tokens_details": {"cached_tokens": 6, "audio_tokens": None},
    }
    assert normalize_usage_details(usage) == {
        "input": 4,
        "input_cached_tokens": 6,
        "output": 4,
        "total": 14,
    }


def test_chat_shape_with_extra_keys_is_treated_as_flat():
    usage = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14, "extra": 1}
    assert normalize_usage_details(usage)["prompt_tokens"] == 10


def test_semconv_anthropic_style_cache_keys():
    attributes = {
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 10,
        "gen_ai.usage.cache_creation_input_tokens": 30,
        "gen_ai.usage.cache_read_input_tokens": 50,
        "gen_ai.usage.total_tokens": 110,
    }
    assert usage_from_semconv(attributes) == {
        "input": 20,
        "output": 10,
        "input_cached_tokens": 50,
        "input_cache_creation": 30,
        "total": 110,
    }


def test_provided_cost_wins_over_prices():
    result = compute_cost(match_model("gpt-4o"), {"input": 1000}, {"input": 1.0, "total": 3.0})
    assert result.cost_details == {"input": 1.0, "total": 3.0}
    assert result.total_cost == 3.0


def test_provided_mixed_keys_without_total_leave_total_unknown():
    result = compute_cost(None, {}, {"input": 1.0, "cache_read": 0.5})
    assert result.cost_details == {"input": 1.0, "cache_read": 0.5}
    assert result.total_cost is None


def test_negative_and_non_numeric_provided_costs_are_dropped():
    result = compute_cost(None, {}, {"input": -1, "output": "x", "total": 2})
    assert result.cost_details == {"total": 2.0}


def test_priced_classes_for_anthropic_cache_writes_1h():
    match = match_model("claude-haiku-4-5")
    usage = {
        "input": 100,
        "input_cached_tokens": 1000,
        "input_cache_creation": 300,
        "input_cache_creation_1h": 100,
        "output": 50,
        "total": 1450,
    }
    result = compute_cost(match, usage, None)
    rates = match.rates
    expected_write = float(rates.cache_write) * 200 + float(rates.cache_write_1h) * 100
    assert result.cost_details["input_cache_creation"] == pytest.approx(expected_write)
    assert result.cost_details["input_cached_tokens"] == pytest.approx(
        float(rates.cache_read) * 1000
    )
    assert result.total_cost == pytest.approx(
        sum(v for k, v in result.cost_details.items() if k != "total")
    )


def test_unknown_model_or_no_usage_has_no_cost():
    assert compute_cost(match_model("acme-internal"), {"input": 5}, None).cost_details == {}
    assert compute_cost(match_model("gpt-4o"), {}, None).total_cost is None


def test_tiered_model_shows_its_base_tier_price():
    match = match_model("claude-sonnet-4-5")
    assert match is not None and match.rates.tiered
    assert match.input_price == "0.000003"


@pytest.mark.parametrize(
    ("model", "usage", "classes"),
    [
        (
            "claude-haiku-4-5",
            CLAUDE_RAW,
            CLAUDE_RAW_CLASSES,
        ),
        (
            "gpt-4o-audio-preview",
            AUDIO_CHAT,
            AUDIO_CHAT_CLASSES,
        ),
        (
            "gpt-4o",
            {"input_text_tokens": 40, "input": 10, "output_text_tokens": 5, "output": 3},
            TokenUsage(input=50, output=8),
        ),
        (
            "claude-sonnet-4-5",  # tiered: priced call by call through genai-prices
            {**CLAUDE_RAW, "cache_creation_input_tokens": 500},
            TokenUsage(input=120000, cache_read=1000, cache_write=500, output=30000),
        ),
    ],
)
def test_raw_provider_and_audio_keys_are_priced_like_the_loader_prices_them(model, usage, classes):
    result = compute_cost(match_model(model), normalize_usage_details(usage), None)
    expected = price_usage(model, classes)
    assert expected is not None and expected.total > 0
    assert result.total_cost == pytest.approx(float(expected.total), rel=1e-9)
    for key, value in expected.as_cost_details().items():
        assert result.cost_details[key] == pytest.approx(value, rel=1e-9), key


@pytest.mark.parametrize("key", [key for key in USAGE_KEYS if key != "total"])
def test_every_usage_key_the_loader_classifies_is_priced_here_too(key):
    assert sum(token_classes({key: 7})) == 7
