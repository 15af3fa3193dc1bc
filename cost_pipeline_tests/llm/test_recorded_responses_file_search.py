"""OpenAI bills each call of the Responses API's built-in file search tool on top of the tokens,
as genai-prices' ``storage_searches``. The calls are not in ``usage``: each is one
``file_search_call`` output item. The recorded cost is the whole bill, priced by genai-prices,
exactly as for web search calls (test_recorded_responses_web_search.py)."""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage, calc_price

from cost_pipeline_tests.llm.conftest import read_generation
from cost_pipeline_tests.llm.responses_calls import MODES, instrumented_openai, respond

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_responses_file_search")

MODEL = "gpt-4o-mini"
# The simulator runs one search per search tool offered: two file searches.
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["vs_sim_docs"]}
TOOLS = [FILE_SEARCH, {**FILE_SEARCH, "vector_store_ids": ["vs_sim_policies"]}]
QUESTION = "What does our refund policy say?"


def _calls(response: Any, kind: str) -> int:
    return sum(1 for item in response.output if item.type == kind)


def _price(model: str, **counts: int) -> float:
    return float(calc_price(Usage(**counts), model, provider_id="openai").total_price)


def _tokens(response: Any) -> dict[str, int]:
    usage = response.usage
    return {
        "input_tokens": usage.input_tokens,
        "cache_read_tokens": usage.input_tokens_details.cached_tokens,
        "output_tokens": usage.output_tokens,
    }


def _assert_priced(generation: dict, response: Any, file_searches: int = 2) -> None:
    searches = _calls(response, "file_search_call")
    assert searches == file_searches
    web = _calls(response, "web_search_call")
    model = response.model
    bill = _price(model, **_tokens(response), storage_searches=searches, web_searches=web)
    search_part = _price(model, storage_searches=searches)
    assert search_part > 0 and bill > _price(model, **_tokens(response), web_searches=web)
    assert generation["costDetails"]["file_search"] == pytest.approx(search_part, rel=1e-9)
    assert generation["costDetails"]["total"] == pytest.approx(bill, rel=1e-9)
    assert generation["totalCost"] == pytest.approx(bill, rel=1e-9)
    # The searches are not tokens: their count is beside the usage, their cost in the total.
    assert generation["metadata"]["file_search_requests"] == searches
    assert "file_search_requests" not in generation["usageDetails"]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("mode", MODES)
def test_file_search_calls_are_priced_with_the_tokens(server, langfuse, recorded, mode, is_async):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    response, _ = respond(client, mode, is_async, model=MODEL, input=QUESTION, tools=TOOLS)
    assert len(recorded) == 1 and recorded[0].usage.file_searches == 2
    assert recorded[0].usage.web_searches == 0
    generation = read_generation(server, langfuse, recorded[0])
    _assert_priced(generation, response)
    assert "web_search_requests" not in generation["metadata"]
    assert "web_search" not in generation["costDetails"]


@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_file_and_web_searches_are_both_priced(server, langfuse, recorded, mode):
    client = instrumented_openai(server, langfuse, recorded, False)
    tools = [{"type": "web_search"}, FILE_SEARCH]
    response, _ = respond(client, mode, False, model=MODEL, input=QUESTION, tools=tools)
    assert recorded[0].usage.web_searches == 1 and recorded[0].usage.file_searches == 1
    generation = read_generation(server, langfuse, recorded[0])
    _assert_priced(generation, response, file_searches=1)
    web_part = _price(response.model, web_searches=1)
    assert generation["costDetails"]["web_search"] == pytest.approx(web_part, rel=1e-9)
    assert generation["metadata"]["web_search_requests"] == 1


def test_background_response_is_priced_with_its_file_searches_at_retrieve(
    server, langfuse, recorded
):
    client = instrumented_openai(server, langfuse, recorded, False)
    created = client.responses.create(model=MODEL, input=QUESTION, tools=TOOLS, background=True)
    response = created
    for _ in range(5):  # the simulator finishes it on the second retrieve
        response = client.responses.retrieve(created.id)
        if response.status == "completed":
            break
    assert response.status == "completed" and len(recorded) == 1
    _assert_priced(read_generation(server, langfuse, recorded[0]), response)


def test_a_response_without_the_tool_has_no_file_search_cost(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, False)
    response, _ = respond(client, "plain", False, model=MODEL, input=QUESTION)
    assert _calls(response, "file_search_call") == 0
    generation = read_generation(server, langfuse, recorded[0])
    assert recorded[0].usage.file_searches == 0
    assert "file_search_requests" not in generation["metadata"]
    assert "file_search" not in generation["costDetails"]
    assert generation["costDetails"]["total"] == pytest.approx(
        _price(response.model, **_tokens(response)), rel=1e-9
    )
