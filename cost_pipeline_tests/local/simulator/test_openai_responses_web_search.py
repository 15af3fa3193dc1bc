"""The real openai SDK's Responses API with the built-in web search tools against the simulator:
one ``web_search_call`` output item per tool offered, before the message, in JSON, in the event
stream and in background responses (the API bills each call; usage does not count them)."""

from __future__ import annotations

import openai
import pytest
from openai.types.responses import ResponseFunctionWebSearch

from cost_pipeline_tests.local.simulator.output_items import output_item_events

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_openai_responses_web_search")

QUESTION = "What happened in the news today?"
BOTH = [{"type": "web_search"}, {"type": "web_search_preview"}]


@pytest.fixture(scope="module")
def client(simulator):
    return openai.OpenAI(base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0)


def _assert_searched(output: list, searches: int) -> None:
    assert [item.type for item in output] == ["web_search_call"] * searches + ["message"]
    for item in output[:searches]:
        assert isinstance(item, ResponseFunctionWebSearch)  # as the SDK parses the real ones
        assert item.status == "completed" and item.id.startswith("ws_")
        assert item.action.type == "search" and item.action.query == QUESTION


@pytest.mark.parametrize(
    "tools",
    [[{"type": "web_search"}], [{"type": "web_search_preview"}], BOTH],
    ids=["web_search", "preview", "both"],
)
def test_each_web_search_tool_runs_one_search_before_the_answer(client, tools):
    response = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=tools)
    _assert_searched(response.output, len(tools))
    plain = client.responses.create(model="gpt-4o-mini", input=QUESTION)
    assert [item.type for item in plain.output] == ["message"]
    assert response.output_text  # the answer follows the searches


def test_searches_stream_as_output_items_added_and_done(client):
    events = list(
        client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=BOTH, stream=True)
    )
    assert output_item_events(events) == [
        ("response.output_item.added", 0, "web_search_call"),
        ("response.output_item.done", 0, "web_search_call"),
        ("response.output_item.added", 1, "web_search_call"),
        ("response.output_item.done", 1, "web_search_call"),
        ("response.output_item.added", 2, "message"),
        ("response.output_item.done", 2, "message"),
    ]
    _assert_searched(events[-1].response.output, 2)
    with client.responses.stream(model="gpt-4o-mini", input=QUESTION, tools=BOTH) as stream:
        _assert_searched(stream.get_final_response().output, 2)


def test_background_response_reports_its_searches_when_finished(client):
    created = client.responses.create(
        model="gpt-4o-mini", input=QUESTION, tools=BOTH, background=True
    )
    assert created.output == []
    polled = [client.responses.retrieve(created.id) for _ in range(2)]
    assert [r.status for r in polled] == ["in_progress", "completed"]
    _assert_searched(polled[1].output, 2)
