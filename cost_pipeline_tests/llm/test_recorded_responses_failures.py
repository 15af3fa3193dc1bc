"""Responses API calls that go wrong: provider errors, no usage, failed and incomplete responses,
helpers left early; and the ``responses`` methods that are not calls pass through."""

from __future__ import annotations

import asyncio
import logging

import openai
import pytest
from openai.lib.streaming.responses import ResponseStreamManager

from cost_pipeline_tests.llm.conftest import business_metadata, read_generation
from cost_pipeline_tests.llm.responses_calls import (
    MODES,
    expected_usage,
    instrumented_openai,
    respond,
)

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_responses_failures")

FAULT = "x-simulator-fault"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@ASYNC
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError)]
)
def test_provider_error_is_recorded_as_error_and_reraised(
    server, langfuse, recorded, mode, is_async, status, error
):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    with pytest.raises(error):
        respond(
            client, mode, is_async, model="gpt-4o-mini", input="x",
            extra_headers={FAULT: f"status-{status}"},
        )  # fmt: skip
    assert len(recorded) == 1
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith(f"{status} {error.__name__}")
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert generation["model"] == "gpt-4o-mini"  # what was asked: no response named one
    assert business_metadata(generation)["feature"] == "f"


@ASYNC
@pytest.mark.parametrize("mode", MODES)
def test_missing_usage_is_flagged_and_never_invented(
    server, langfuse, recorded, caplog, mode, is_async
):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    with caplog.at_level(logging.WARNING, logger="cost_pipeline.llm"):
        response, _ = respond(
            client, mode, is_async, model="gpt-4o-mini", input="x",
            extra_headers={FAULT: "no-usage"},
        )  # fmt: skip
    assert response.usage is None and "carried no usage" in caplog.text
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert business_metadata(generation)["usage_missing"] is True
    assert generation["level"] == "DEFAULT"
    assert generation["model"] == "gpt-4o-mini-2024-07-18"


@ASYNC
@pytest.mark.parametrize("mode", ["stream", "helper"])
def test_failed_response_is_an_error_with_the_usage_it_reports(
    server, langfuse, recorded, mode, is_async
):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    failed, events = respond(
        client, mode, is_async, model="gpt-4o-mini", input="x",
        extra_headers={FAULT: "response-failed"},
    )  # fmt: skip
    assert events[-1].type == "response.failed"  # the SDK does not raise: the caller reads it
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"] == (
        "response failed: server_error: The model failed to finish (simulated)."
    )
    assert generation["usageDetails"] == expected_usage(failed.usage)
    assert generation["usageDetails"]["total"] > 0 and generation["costDetails"]["total"] > 0


@pytest.mark.parametrize("mode", MODES)
def test_incomplete_response_is_recorded_with_its_usage(server, langfuse, recorded, mode):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    response, events = respond(
        client, mode, False, model="gpt-4o-mini", input="Say hello.", max_output_tokens=5
    )
    assert response.status == "incomplete"
    assert mode == "plain" or events[-1].type == "response.incomplete"
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"  # a billed answer, cut short as asked
    assert generation["usageDetails"] == expected_usage(response.usage)
    assert generation["usageDetails"]["output"] == 5
    assert generation["modelParameters"] == {"max_output_tokens": 5}


def test_helper_left_early_is_incomplete(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    with client.responses.stream(model="gpt-4o-mini", input="x") as stream:
        next(iter(stream))  # response.created only
    # Recorded when the block ends, although `stream` is still referenced here.
    assert len(recorded) == 1
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "WARNING"
    assert business_metadata(generation)["stream_incomplete"] is True
    assert generation["usageDetails"] == {}


@ASYNC
def test_helper_left_at_the_final_event_is_complete(server, langfuse, recorded, is_async):
    client = instrumented_openai(server, langfuse, recorded, is_async)

    async def leave_async() -> None:
        async with client.responses.stream(model="gpt-4o-mini", input="x") as stream:
            async for event in stream:
                if event.type == "response.completed":
                    break

    if is_async:
        asyncio.run(leave_async())
    else:
        with client.responses.stream(model="gpt-4o-mini", input="x") as stream:
            for event in stream:
                if event.type == "response.completed":
                    break
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"
    assert generation["usageDetails"]["total"] > 0
    assert "stream_incomplete" not in business_metadata(generation)


def test_error_in_the_helper_block_fails_the_call(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    with pytest.raises(ValueError), client.responses.stream(model="gpt-4o-mini", input="x") as s:
        next(iter(s))
        raise ValueError("caller gave up")
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"] == "ValueError: caller gave up"


def test_other_responses_methods_pass_through_unrecorded(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    raw = client.unwrapped
    assert client.responses.input_items is raw.responses.input_items
    with pytest.raises(openai.NotFoundError):  # the simulator keeps background ones only
        client.responses.retrieve("resp_unknown")
    with pytest.raises(openai.NotFoundError):
        client.responses.delete("resp_unknown")
    # Replaying the events of an existing response is not a new call either.
    replay = client.responses.stream(response_id="resp_unknown")
    assert type(replay) is ResponseStreamManager
    assert recorded == []
