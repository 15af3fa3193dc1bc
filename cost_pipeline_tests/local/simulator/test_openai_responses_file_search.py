"""The real openai SDK's Responses API with the built-in file search tool against the simulator:
one ``file_search_call`` output item per tool offered, before the message (after any web search
offered before it), in JSON, in the event stream and in background responses (the API bills each
call; usage does not count them)."""

from __future__ import annotations

import openai
import pytest
from openai.types.responses import ResponseFileSearchToolCall

from cost_pipeline_tests.local.simulator.output_items import output_item_events

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_openai_responses_file_search")

QUESTION = "What does our refund policy say?"
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["vs_sim_docs"]}


@pytest.fixture(scope="module")
def client(simulator):
    return openai.OpenAI(base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0)


def _assert_file_searched(output: list) -> None:
    assert [item.type for item in output] == ["file_search_call", "message"]
    item = output[0]
    assert isinstance(item, ResponseFileSearchToolCall)  # as the SDK parses the real ones
    assert item.status == "completed" and item.id.startswith("fs_")
    assert item.queries == [QUESTION] and item.results is None


def test_a_file_search_tool_runs_one_search_before_the_answer(client):
    response = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=[FILE_SEARCH])
    _assert_file_searched(response.output)
    assert response.output_text  # the answer follows the search


def test_file_and_web_search_tools_each_run_one_search_in_the_tools_order(client):
    tools = [{"type": "web_search"}, FILE_SEARCH]
    response = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=tools)
    assert [item.type for item in response.output] == [
        "web_search_call",
        "file_search_call",
        "message",
    ]


def test_a_file_search_streams_as_an_output_item_added_and_done(client):
    events = list(
        client.responses.create(
            model="gpt-4o-mini", input=QUESTION, tools=[FILE_SEARCH], stream=True
        )
    )
    assert output_item_events(events) == [
        ("response.output_item.added", 0, "file_search_call"),
        ("response.output_item.done", 0, "file_search_call"),
        ("response.output_item.added", 1, "message"),
        ("response.output_item.done", 1, "message"),
    ]
    _assert_file_searched(events[-1].response.output)
    with client.responses.stream(model="gpt-4o-mini", input=QUESTION, tools=[FILE_SEARCH]) as s:
        _assert_file_searched(s.get_final_response().output)


def test_background_response_reports_its_file_search_when_finished(client):
    created = client.responses.create(
        model="gpt-4o-mini", input=QUESTION, tools=[FILE_SEARCH], background=True
    )
    assert created.output == []
    polled = [client.responses.retrieve(created.id) for _ in range(2)]
    assert [r.status for r in polled] == ["in_progress", "completed"]
    _assert_file_searched(polled[1].output)
