"""OpenAI bills each call of the Responses API's built-in web search and file search tools on top
of the tokens (genai-prices' ``web_searches`` and ``storage_searches``). The calls are not in
``usage``: each is one ``web_search_call`` / ``file_search_call`` output item. The recorded cost is
the whole bill, priced by genai-prices, as for Anthropic's searches (test_recorded_web_search.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from genai_prices import Usage, calc_price

from cost_pipeline_tests.llm.conftest import read_generation
from cost_pipeline_tests.llm.responses_calls import MODES, instrumented_openai, respond

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_responses_tool_searches")

MODEL = "gpt-4o-mini"
QUESTION = "What does our refund policy say, and what happened in the news today?"
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["vs_sim_docs"]}


@dataclass(frozen=True)
class Search:
    """One kind of billed search, named as each layer names it."""

    item: str  # the output item type
    tools: tuple[dict[str, Any], ...]  # offered: the simulator runs one search per tool
    genai_prices: str  # the genai-prices Usage field
    recorded: str  # the TokenUsage field
    cost_key: str  # the cost_details key
    flag: str  # the metadata count


WEB = Search(
    "web_search_call",
    ({"type": "web_search"}, {"type": "web_search_preview"}),
    "web_searches",
    "web_searches",
    "web_search",
    "web_search_requests",
)
FILE = Search(
    "file_search_call",
    (FILE_SEARCH, {**FILE_SEARCH, "vector_store_ids": ["vs_sim_policies"]}),
    "storage_searches",
    "file_searches",
    "file_search",
    "file_search_requests",
)
KINDS = pytest.mark.parametrize("kind", [WEB, FILE], ids=["web", "file"])


def _calls(response: Any, search: Search) -> int:
    return sum(1 for item in response.output if item.type == search.item)


def _price(model: str, **counts: int) -> float:
    return float(calc_price(Usage(**counts), model, provider_id="openai").total_price)


def _tokens(response: Any) -> dict[str, int]:
    usage = response.usage
    return {
        "input_tokens": usage.input_tokens,
        "cache_read_tokens": usage.input_tokens_details.cached_tokens,
        "output_tokens": usage.output_tokens,
    }


def _searches(response: Any) -> dict[str, int]:
    """The response's searches of every kind, as genai-prices' Usage fields."""
    return {kind.genai_prices: _calls(response, kind) for kind in (WEB, FILE)}


def _assert_priced(generation: dict, response: Any, search: Search, expected: int) -> None:
    searches = _calls(response, search)
    assert searches == expected
    model = response.model
    bill = _price(model, **_tokens(response), **_searches(response))
    search_part = _price(model, **{search.genai_prices: searches})
    assert search_part > 0
    assert bill == pytest.approx(
        _price(model, **_tokens(response), **{**_searches(response), search.genai_prices: 0})
        + search_part
    )
    assert generation["costDetails"][search.cost_key] == pytest.approx(search_part, rel=1e-9)
    assert generation["costDetails"]["total"] == pytest.approx(bill, rel=1e-9)
    assert generation["totalCost"] == pytest.approx(bill, rel=1e-9)
    # The searches are not tokens: their count is beside the usage, their cost in the total.
    assert generation["metadata"][search.flag] == searches
    assert search.flag not in generation["usageDetails"]


@KINDS
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("mode", MODES)
def test_search_calls_are_priced_with_the_tokens(server, langfuse, recorded, kind, mode, is_async):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    tools = list(kind.tools)
    response, _ = respond(client, mode, is_async, model=MODEL, input=QUESTION, tools=tools)
    assert len(recorded) == 1 and getattr(recorded[0].usage, kind.recorded) == 2
    other = FILE if kind is WEB else WEB
    assert getattr(recorded[0].usage, other.recorded) == 0
    generation = read_generation(server, langfuse, recorded[0])
    _assert_priced(generation, response, kind, expected=2)
    assert other.flag not in generation["metadata"]
    assert other.cost_key not in generation["costDetails"]


@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_file_and_web_searches_in_one_call_are_both_priced(server, langfuse, recorded, mode):
    client = instrumented_openai(server, langfuse, recorded, False)
    tools = [{"type": "web_search"}, FILE_SEARCH]
    response, _ = respond(client, mode, False, model=MODEL, input=QUESTION, tools=tools)
    assert recorded[0].usage.web_searches == 1 and recorded[0].usage.file_searches == 1
    generation = read_generation(server, langfuse, recorded[0])
    for kind in (WEB, FILE):
        _assert_priced(generation, response, kind, expected=1)


@KINDS
def test_background_response_is_priced_with_its_searches_at_retrieve(
    server, langfuse, recorded, kind
):
    client = instrumented_openai(server, langfuse, recorded, False)
    created = client.responses.create(
        model=MODEL, input=QUESTION, tools=list(kind.tools), background=True
    )
    response = created
    for _ in range(5):  # the simulator finishes it on the second retrieve
        response = client.responses.retrieve(created.id)
        if response.status == "completed":
            break
    assert response.status == "completed" and len(recorded) == 1
    _assert_priced(read_generation(server, langfuse, recorded[0]), response, kind, expected=2)


def test_a_response_without_the_tools_has_no_search_cost(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, False)
    response, _ = respond(client, "plain", False, model=MODEL, input=QUESTION)
    assert _searches(response) == {"web_searches": 0, "storage_searches": 0}
    generation = read_generation(server, langfuse, recorded[0])
    for kind in (WEB, FILE):
        assert getattr(recorded[0].usage, kind.recorded) == 0
        assert kind.flag not in generation["metadata"]
        assert kind.cost_key not in generation["costDetails"]
    assert generation["costDetails"]["total"] == pytest.approx(
        _price(response.model, **_tokens(response)), rel=1e-9
    )
