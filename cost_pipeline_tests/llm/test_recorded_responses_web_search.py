"""OpenAI bills each call of the Responses API's built-in web search tool on top of the tokens.
The calls are not in ``usage``: each is one ``web_search_call`` output item. The recorded cost is
the whole bill, priced by genai-prices, exactly as for Anthropic's searches
(test_recorded_web_search.py)."""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage, calc_price

from cost_pipeline_tests.llm.conftest import read_generation
from cost_pipeline_tests.llm.responses_calls import MODES, instrumented_openai, respond

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_responses_web_search")

MODEL = "gpt-4o-mini"
# The simulator runs one search per web search tool offered: two searches.
TOOLS = [{"type": "web_search"}, {"type": "web_search_preview"}]
QUESTION = "What happened in the news today?"


def _searches(response: Any) -> int:
    return sum(1 for item in response.output if item.type == "web_search_call")


def _bill(response: Any, searches: int) -> tuple[float, float]:
    """(whole bill, searches' part) as genai-prices prices the response's usage."""
    usage = response.usage
    tokens = {
        "input_tokens": usage.input_tokens,
        "cache_read_tokens": usage.input_tokens_details.cached_tokens,
        "output_tokens": usage.output_tokens,
    }
    model = response.model

    def price(**counts: int) -> float:
        return float(calc_price(Usage(**counts), model, provider_id="openai").total_price)

    return price(**tokens, web_searches=searches), price(web_searches=searches)


def _assert_priced(generation: dict, response: Any) -> None:
    searches = _searches(response)
    assert searches == 2
    bill, search_part = _bill(response, searches)
    assert search_part > 0 and bill > _bill(response, 0)[0]
    assert generation["costDetails"]["web_search"] == pytest.approx(search_part, rel=1e-9)
    assert generation["costDetails"]["total"] == pytest.approx(bill, rel=1e-9)
    assert generation["totalCost"] == pytest.approx(bill, rel=1e-9)
    # The searches are not tokens: their count is beside the usage, their cost in the total.
    assert generation["metadata"]["web_search_requests"] == searches
    assert "web_search_requests" not in generation["usageDetails"]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("mode", MODES)
def test_web_search_calls_are_priced_with_the_tokens(server, langfuse, recorded, mode, is_async):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    response, _ = respond(client, mode, is_async, model=MODEL, input=QUESTION, tools=TOOLS)
    assert len(recorded) == 1 and recorded[0].usage.web_searches == 2
    _assert_priced(read_generation(server, langfuse, recorded[0]), response)


def test_background_response_is_priced_with_its_searches_at_retrieve(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, False)
    created = client.responses.create(model=MODEL, input=QUESTION, tools=TOOLS, background=True)
    response = created
    for _ in range(5):  # the simulator finishes it on the second retrieve
        response = client.responses.retrieve(created.id)
        if response.status == "completed":
            break
    assert response.status == "completed" and len(recorded) == 1
    _assert_priced(read_generation(server, langfuse, recorded[0]), response)


def test_a_response_without_the_tool_has_no_search_cost(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, False)
    response, _ = respond(client, "plain", False, model=MODEL, input=QUESTION)
    assert _searches(response) == 0
    generation = read_generation(server, langfuse, recorded[0])
    assert recorded[0].usage.web_searches == 0
    assert "web_search_requests" not in generation["metadata"]
    assert "web_search" not in generation["costDetails"]
    assert generation["costDetails"]["total"] == pytest.approx(_bill(response, 0)[0], rel=1e-9)
