"""Audio tokens are priced at genai-prices' audio rates, apart from text tokens."""

from decimal import Decimal

import pytest
from genai_prices import calc_price
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_pipeline.llm.pricing import TokenUsage, model_rates, price_usage

# genai-prices has audio prices for the realtime model; the audio-preview one it prices as text.
AUDIO_PRICED = "gpt-4o-realtime-preview"
AUDIO_AS_TEXT = "gpt-4o-audio-preview"

counts = st.integers(min_value=0, max_value=150_000)


@pytest.mark.parametrize("model", [AUDIO_PRICED, AUDIO_AS_TEXT])
@settings(max_examples=25, deadline=None)
@given(text_in=counts, audio_in=counts, text_out=counts, audio_out=counts)
def test_priced_total_with_audio_equals_genai_prices(model, text_in, audio_in, text_out, audio_out):
    usage = TokenUsage(input=text_in, input_audio=audio_in, output=text_out, output_audio=audio_out)
    priced = price_usage(model, usage)
    assert priced is not None
    library = calc_price(usage.as_genai_usage(), model_ref=model).total_price
    assert priced.total == pytest.approx(library, rel=Decimal("1e-12"))


def test_audio_rates_are_the_audio_prices_or_the_text_ones_without_them():
    priced = model_rates(AUDIO_PRICED)
    assert priced is not None
    assert priced.input_audio > priced.input and priced.output_audio > priced.output
    as_text = model_rates(AUDIO_AS_TEXT)
    assert as_text is not None
    assert (as_text.input_audio, as_text.output_audio) == (as_text.input, as_text.output)


def test_audio_cost_is_reported_under_langfuse_audio_keys():
    priced = price_usage(AUDIO_PRICED, TokenUsage(input=10, input_audio=20, output_audio=30))
    assert priced is not None
    details = priced.as_cost_details()
    assert details["input_audio_tokens"] > 0 and details["output_audio_tokens"] > 0
    assert details["total"] == pytest.approx(sum(v for k, v in details.items() if k != "total"))
