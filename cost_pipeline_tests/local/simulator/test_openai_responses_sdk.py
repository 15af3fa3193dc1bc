"""The real openai SDK's Responses API against the simulator: plain, events, helper, async, cache,
reasoning, incomplete and failed responses, faults, background responses polled and cancelled."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import openai
import orjson
import pytest

from cost_pipeline.local.simulator.tokens import count_tokens

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_openai_responses")

FAULT = "x-simulator-fault"


@pytest.fixture(scope="module")
def client(simulator):
    return openai.OpenAI(base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0)


def test_plain_response_counts_instructions_and_input_like_the_chat_prompt(client):
    response = client.responses.create(
        model="gpt-4o-mini", instructions="Be brief.", input="Say hello."
    )
    usage = response.usage
    assert response.model == "gpt-4o-mini-2024-07-18" and response.status == "completed"
    assert usage.input_tokens == count_tokens("system: Be brief.\nuser: Say hello.\n")
    assert usage.output_tokens == count_tokens(response.output_text) > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0
    as_list = client.responses.create(
        model="gpt-4o-mini",
        input=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "input_text", "text": "Say hello."}]},
        ],
    )
    assert as_list.usage.input_tokens == usage.input_tokens
    assert as_list.output_text == response.output_text  # same prompt, same answer


def test_stream_is_named_numbered_events_ending_in_the_full_response(client, simulator):
    events = list(client.responses.create(model="gpt-4o-mini", input="Say hello.", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert events[0].response.usage is None
    final = events[-1].response
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == final.output_text
    plain = client.responses.create(model="gpt-4o-mini", input="Say hello.")
    assert final.usage == plain.usage and final.model == plain.model
    # On the wire every event names itself in an `event:` line, as the real API sends it.
    raw = httpx.post(
        f"{simulator.openai_base_url}/responses",
        json={"model": "gpt-4o-mini", "input": "Say hello.", "stream": True},
        headers={"authorization": "Bearer k"},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    frames = [frame.split("\n") for frame in raw.text.strip().split("\n\n")]
    assert all(len(frame) == 2 for frame in frames)
    for (event_line, data_line), kind in zip(frames, kinds, strict=True):
        payload = orjson.loads(data_line.removeprefix("data: "))
        assert event_line == f"event: {kind}" and payload["type"] == kind


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_stream_helper_final_response(simulator, is_async):
    kwargs = {"model": "o4-mini", "input": "Say hello.", "reasoning": {"effort": "low"}}

    async def run_async():
        async with (
            openai.AsyncOpenAI(
                base_url=simulator.openai_base_url, api_key="k", max_retries=0
            ) as client,
            client.responses.stream(**kwargs) as stream,
        ):
            return await stream.get_final_response()

    if is_async:
        final = asyncio.run(run_async())
    else:
        client = openai.OpenAI(base_url=simulator.openai_base_url, api_key="k", max_retries=0)
        with client.responses.stream(**kwargs) as stream:
            final = stream.get_final_response()
    assert final.model == "o4-mini-2025-04-16"
    assert [item.type for item in final.output] == ["reasoning", "message"]
    reasoning = final.usage.output_tokens_details.reasoning_tokens
    assert reasoning == count_tokens(final.output_text) > 0  # "low": one per visible token


def test_repeated_long_prefix_is_cached(client):
    instructions = f"{uuid.uuid4()} " + "policy text " * 500  # ~1500 tokens, unique to this test
    first, second = (
        client.responses.create(model="gpt-4o", instructions=instructions, input=question)
        for question in ("A?", "B?")
    )
    assert first.usage.input_tokens_details.cached_tokens == 0
    cached = second.usage.input_tokens_details.cached_tokens
    assert cached >= 1024 and (cached - 1024) % 128 == 0
    assert second.usage.input_tokens - cached < 128 + count_tokens("user: B?\n")


@pytest.mark.parametrize(("effort", "per_visible"), [("high", 6), ("minimal", 0), (None, 3)])
def test_reasoning_models_spend_reasoning_tokens(client, effort, per_visible):
    extra = {"reasoning": {"effort": effort}} if effort else {}
    response = client.responses.create(model="gpt-5-mini", input="think", **extra)
    usage = response.usage
    visible = count_tokens(response.output_text)
    assert usage.output_tokens_details.reasoning_tokens == visible * per_visible
    assert usage.output_tokens == visible * (per_visible + 1)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_max_output_tokens_makes_the_response_incomplete(client, stream):
    result = client.responses.create(
        model="gpt-4o-mini", input="Say hello.", max_output_tokens=5, stream=stream
    )
    if stream:
        events = list(result)
        assert events[-1].type == "response.incomplete"
        result = events[-1].response
    assert result.status == "incomplete"
    assert result.incomplete_details.reason == "max_output_tokens"
    assert result.usage.output_tokens == 5


def test_failed_stream_ends_in_response_failed_with_its_usage(client):
    events = list(
        client.responses.create(
            model="gpt-4o-mini",
            input="Say hello.",
            stream=True,
            extra_headers={FAULT: "response-failed"},
        )
    )
    assert events[-1].type == "response.failed"
    assert "response.output_item.done" not in [event.type for event in events]
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.code == "server_error"
    assert failed.usage.input_tokens > 0
    with pytest.raises(openai.InternalServerError):  # without a stream: an error status
        client.responses.create(
            model="gpt-4o-mini", input="x", extra_headers={FAULT: "response-failed"}
        )


@pytest.mark.parametrize(
    ("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError)]
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_forced_errors_raise_typed_exceptions(client, status, error, stream):
    with pytest.raises(error) as raised:
        client.responses.create(
            model="gpt-4o-mini",
            input="x",
            stream=stream,
            extra_headers={FAULT: f"status-{status}"},
        )
    assert raised.value.status_code == status


@pytest.mark.parametrize("how", ["header", "model"])
def test_response_without_usage(client, how):
    kwargs = {"model": "sim-no-usage", "input": "x"}
    if how == "header":
        kwargs = {"model": "gpt-4o-mini", "input": "x", "extra_headers": {FAULT: "no-usage"}}
    assert client.responses.create(**kwargs).usage is None
    events = list(client.responses.create(**kwargs, stream=True))
    assert events[-1].type == "response.completed" and events[-1].response.usage is None


def test_invalid_requests_are_400s(client):
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o-mini", input=[])
    with pytest.raises(openai.BadRequestError, match="x-simulator-fault"):
        client.responses.create(model="gpt-4o-mini", input="x", extra_headers={FAULT: "nope"})
    with pytest.raises(openai.BadRequestError, match="response-failed"):  # a Responses fault
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={FAULT: "response-failed"},
        )


def test_knobs_apply_to_responses(client, knobs):
    knobs.update(error_rate=1.0)
    with pytest.raises((openai.RateLimitError, openai.InternalServerError)):
        client.responses.create(model="gpt-4o-mini", input="x")
    knobs.update(error_rate=0.0, latency_ms=150)
    started = time.monotonic()
    assert client.responses.create(model="gpt-4o-mini", input="x").usage
    assert time.monotonic() - started >= 0.15


def test_background_response_is_queued_then_in_progress_then_completed(client):
    kwargs = {"model": "gpt-4o-mini", "instructions": "Be brief.", "input": "Say hello."}
    created = client.responses.create(**kwargs, background=True)
    assert (created.status, created.usage, created.output, created.background) == (
        "queued",
        None,
        [],
        True,
    )
    polled = [client.responses.retrieve(created.id) for _ in range(3)]
    assert [r.status for r in polled] == ["in_progress", "completed", "completed"]
    assert polled[0].usage is None
    plain = client.responses.create(**kwargs)  # counted as the answer without background
    for final in polled[1:]:
        assert final.id == created.id and final.output_text == plain.output_text
        assert final.usage == plain.usage and final.completed_at is not None


def test_background_failure_is_reported_by_retrieve(client):
    created = client.responses.create(
        model="gpt-4o-mini", input="x", background=True, extra_headers={FAULT: "response-failed"}
    )
    assert created.status == "queued"
    client.responses.retrieve(created.id)
    failed = client.responses.retrieve(created.id)
    assert failed.status == "failed" and failed.error.code == "server_error"
    assert failed.usage is not None


def test_cancel_before_completion_leaves_it_cancelled_without_usage(client):
    created = client.responses.create(model="gpt-4o-mini", input="x", background=True)
    cancelled = client.responses.cancel(created.id)
    assert (cancelled.status, cancelled.usage) == ("cancelled", None)
    assert client.responses.retrieve(created.id).status == "cancelled"
    finished = client.responses.create(model="gpt-4o-mini", input="x", background=True)
    for _ in range(2):
        client.responses.retrieve(finished.id)
    assert client.responses.cancel(finished.id).status == "completed"  # too late: unchanged


def test_unknown_response_id_is_a_404_in_openais_shape(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.responses.retrieve("resp_nope")
    assert raised.value.body == {
        "message": "Response with id 'resp_nope' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.NotFoundError):
        client.responses.cancel("resp_nope")
    with pytest.raises(openai.NotFoundError):
        client.responses.delete("resp_nope")


def test_deleted_background_response_is_gone(client):
    created = client.responses.create(model="gpt-4o-mini", input="x", background=True)
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
