"""cost_details from genai-prices: per class, always with total, None for unknown models."""

from __future__ import annotations

import pytest

from cost_pipeline.llm.costing import cost_details
from cost_pipeline.llm.pricing import TokenUsage, model_rates


def test_priced_model_costs_each_class_and_totals():
    usage = TokenUsage(input=1000, cache_read=2000, output=300, reasoning=100)
    details = cost_details("gpt-4o-mini-2024-07-18", usage)
    rates = model_rates("gpt-4o-mini-2024-07-18")
    assert details["input"] == pytest.approx(float(rates.input * 1000))
    assert details["input_cached_tokens"] == pytest.approx(float(rates.cache_read * 2000))
    parts = sum(value for key, value in details.items() if key != "total")
    assert details["total"] == pytest.approx(parts)


def test_zero_usage_still_sends_total():
    assert cost_details("gpt-4o", TokenUsage()) == {"total": 0.0}


def test_unknown_model_has_no_cost():
    assert cost_details("sim-unpriced-model", TokenUsage(input=10)) is None
    assert cost_details(None, TokenUsage(input=10)) is None
