"""A call served on a tier priced apart (OpenAI flex / priority, Anthropic fast mode) is priced
at that tier's rates, read from the response, not at the standard price."""

from __future__ import annotations

from types import SimpleNamespace

import openai
import pytest

from cost_pipeline.llm import instrument
from cost_pipeline.llm.anthropic_client import ANTHROPIC_CALLS
from cost_pipeline.llm.anthropic_mapping import AnthropicStreamState, price_context
from cost_pipeline.llm.openai_client import OPENAI_CALLS
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline.llm.usage import from_anthropic
from cost_pipeline_tests.llm.conftest import read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_price_variants")

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def openai_client(server, langfuse, recorded):
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


@pytest.mark.parametrize("tier", ["flex", "priority", None])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_openai_tier_prices_the_call(server, langfuse, recorded, openai_client, tier, stream):
    extra = {"service_tier": tier} if tier else {}
    result = openai_client.chat.completions.create(
        model="gpt-5-mini", messages=MESSAGES, stream=stream, **extra
    )
    if stream:
        chunks = list(result)
        served = chunks[0].service_tier
    else:
        served = result.service_tier
    assert served == (tier or "default")
    generation = read_generation(server, langfuse, recorded[0])
    usage = generation["usageDetails"]
    tokens = TokenUsage(
        input=usage["input"], output=usage["output"], reasoning=usage["output_reasoning_tokens"]
    )
    expected = price_usage("gpt-5-mini", tokens, (("service_tier", served),))
    standard = price_usage("gpt-5-mini", tokens)
    assert generation["costDetails"]["total"] == pytest.approx(float(expected.total), rel=1e-9)
    assert (expected.total != standard.total) == (tier is not None)


ANTHROPIC_USAGE = {"input_tokens": 1000, "output_tokens": 100, "speed": "fast"}


def test_anthropic_fast_mode_is_read_from_the_usage():
    fast = SimpleNamespace(usage=ANTHROPIC_USAGE)
    standard = SimpleNamespace(usage={**ANTHROPIC_USAGE, "speed": "standard"})
    assert (price_context(fast), price_context(standard)) == ((("speed", "fast"),), ())
    # Any usage object is read without failing the call: attributes, or none at all.
    assert price_context(SimpleNamespace(usage=SimpleNamespace(speed="fast"))) == (
        ("speed", "fast"),
    )
    assert price_context(SimpleNamespace(usage=SimpleNamespace(input_tokens=1))) == ()
    assert price_context(object()) == ()
    tokens = from_anthropic(ANTHROPIC_USAGE)
    at_fast, at_standard = (
        price_usage("claude-opus-4-8", tokens, context) for context in ((("speed", "fast"),), ())
    )
    assert at_fast.total == 2 * at_standard.total


def test_anthropic_stream_state_takes_fast_mode_from_the_usage_events():
    state = AnthropicStreamState()
    message = SimpleNamespace(model="claude-opus-4-8", usage={"input_tokens": 9})
    state.observe(SimpleNamespace(type="message_start", message=message))
    assert state.price_context() == ()
    state.observe(
        SimpleNamespace(type="message_delta", usage={"output_tokens": 3, "speed": "fast"})
    )
    assert state.price_context() == (("speed", "fast"),)


def test_both_providers_read_the_tier_of_each_response():
    fast = SimpleNamespace(usage={"input_tokens": 1, "speed": "fast"})
    flex = SimpleNamespace(service_tier="flex", usage=None)
    assert ANTHROPIC_CALLS.price_context_of(fast) == (("speed", "fast"),)
    assert OPENAI_CALLS.price_context_of(flex) == (("service_tier", "flex"),)
