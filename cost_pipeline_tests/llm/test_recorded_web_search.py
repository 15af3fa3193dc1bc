"""Anthropic bills each server-side web search (``usage.server_tool_use.web_search_requests``) on
top of the tokens; the recorded cost is the whole bill, as genai-prices prices the response."""

from __future__ import annotations

import anthropic
import pytest
from genai_prices import extract_usage

from cost_pipeline.llm import instrument
from cost_pipeline_tests.llm.conftest import read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_web_search")

MODEL = "claude-haiku-4-5"
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
MESSAGES = [{"role": "user", "content": "What happened in the news today?"}]


@pytest.fixture
def client(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_web_searches_are_priced_with_the_tokens(server, langfuse, recorded, client, stream):
    if stream:
        with client.messages.stream(
            model=MODEL, max_tokens=200, messages=MESSAGES, tools=[WEB_SEARCH]
        ) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(
            model=MODEL, max_tokens=200, messages=MESSAGES, tools=[WEB_SEARCH]
        )
    searches = message.usage.server_tool_use.web_search_requests
    assert searches > 0
    generation = read_generation(server, langfuse, recorded[0])
    bill = extract_usage(message.model_dump(), provider_id="anthropic").calc_price().total_price
    tokens_only = extract_usage(
        {**message.model_dump(), "usage": {**message.usage.model_dump(), "server_tool_use": None}},
        provider_id="anthropic",
    ).calc_price()
    assert bill > tokens_only.total_price
    assert generation["costDetails"]["total"] == pytest.approx(float(bill), rel=1e-9)
    assert generation["totalCost"] == pytest.approx(float(bill), rel=1e-9)
    # The searches are not tokens: their count is beside the usage, their cost in the total.
    assert generation["metadata"]["web_search_requests"] == searches
    assert "web_search_requests" not in generation["usageDetails"]


def test_a_call_without_searches_records_none(server, langfuse, recorded, client):
    message = client.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES)
    assert message.usage.server_tool_use is None
    generation = read_generation(server, langfuse, recorded[0])
    assert "web_search_requests" not in generation["metadata"]
    assert "web_search" not in generation["costDetails"]
