"""Provider errors, responses without usage, early-closed streams, backdated calls."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime

import anthropic
import openai
import pytest

from cost_pipeline.llm import instrument, recorded_at
from cost_pipeline_tests.llm.conftest import business_metadata, read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_failures")

FAULT = "x-simulator-fault"


@pytest.fixture
def openai_client(server, langfuse, recorded):
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


@pytest.fixture
def anthropic_client(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


@pytest.mark.parametrize(
    ("status", "error"), [(429, anthropic.RateLimitError), (529, anthropic.OverloadedError)]
)
def test_anthropic_error_is_recorded_as_error_and_reraised(
    server, langfuse, recorded, anthropic_client, status, error
):
    with pytest.raises(error):
        anthropic_client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=16,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={FAULT: f"status-{status}"},
        )
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith(f"{status} {error.__name__}")
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert generation["model"] == "claude-haiku-4-5"  # what was asked: no response named one


def test_openai_stream_error_is_recorded_and_reraised(server, langfuse, recorded, openai_client):
    with pytest.raises(openai.InternalServerError):
        openai_client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            extra_headers={FAULT: "status-500"},
        )
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR" and "500" in generation["statusMessage"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_missing_usage_is_flagged_and_never_invented(
    server, langfuse, recorded, openai_client, caplog, stream
):
    with caplog.at_level(logging.WARNING, logger="cost_pipeline.llm"):
        result = openai_client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            stream=stream,
            extra_headers={FAULT: "no-usage"},
        )
        if stream:
            list(result)
    assert "carried no usage" in caplog.text
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert business_metadata(generation)["usage_missing"] is True
    assert generation["level"] == "DEFAULT"
    assert generation["model"] == "gpt-4o-mini-2024-07-18"


def test_anthropic_missing_usage(server, langfuse, recorded, anthropic_client):
    anthropic_client.messages.create(
        model="sim-no-usage", max_tokens=16, messages=[{"role": "user", "content": "x"}]
    )
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {}
    assert business_metadata(generation)["usage_missing"] is True


def test_caller_asking_for_usage_still_gets_the_usage_chunk(openai_client):
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_stream_closed_early_is_recorded_as_incomplete(server, langfuse, recorded, openai_client):
    with openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    ) as stream:
        next(iter(stream))
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "WARNING"
    assert business_metadata(generation)["stream_incomplete"] is True
    assert generation["usageDetails"] == {}  # the usage chunk never arrived


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_backdated_call_starts_at_the_given_time(
    server, langfuse, recorded, anthropic_client, stream
):
    when = datetime(2026, 3, 5, 23, 59, 59, 500000, tzinfo=UTC)
    with recorded_at(when):
        result = anthropic_client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=16,
            messages=[{"role": "user", "content": "x"}],
            stream=stream,
        )
        if stream:
            list(result)
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["startTime"] == "2026-03-05T23:59:59.500Z"
    assert generation["startTime"] <= generation["endTime"] < "2026-03-06T00:01"
    if stream:
        assert generation["completionStartTime"].startswith("2026-03-0")
    assert generation["usageDetails"]["total"] > 0
    assert recorded[0].start_time == when


def test_with_options_keeps_recording(server, langfuse, recorded, openai_client, anthropic_client):
    openai_copy = openai_client.with_options(timeout=30)
    anthropic_copy = anthropic_client.copy(timeout=30)
    assert type(openai_copy) is type(openai_client)
    assert openai_copy.unwrapped is not openai_client.unwrapped  # a new SDK client, still wrapped
    openai_copy.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "copied"}]
    )
    anthropic_copy.messages.create(
        model="claude-haiku-4-5", max_tokens=16, messages=[{"role": "user", "content": "copied"}]
    )
    assert len(recorded) == 2
    for call in recorded:
        generation = read_generation(server, langfuse, call)
        assert business_metadata(generation)["feature"] == "f"
        assert generation["usageDetails"]["total"] > 0


def test_stream_left_after_the_finish_is_recorded_with_its_usage(
    server, langfuse, recorded, openai_client
):
    # The caller stops at finish_reason; the usage chunk the wrapper asked for comes after it.
    with openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    ) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].finish_reason:
                break
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"
    assert generation["usageDetails"]["total"] > 0
    assert "stream_incomplete" not in business_metadata(generation)


def test_stream_left_with_break_is_recorded_without_the_garbage_collector(
    server, langfuse, recorded, openai_client
):
    def read_one_chunk() -> None:
        for _ in openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
        ):
            break

    gc.disable()
    try:
        read_one_chunk()
        # Dropped when the loop ended: recorded at once, not whenever a collection runs.
        assert len(recorded) == 1
    finally:
        gc.enable()
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "WARNING"
    assert business_metadata(generation)["stream_incomplete"] is True


def test_async_stream_closed_after_the_finish_keeps_its_usage(server, langfuse, recorded):
    raw = openai.AsyncOpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    client = instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)

    async def stop_at_the_finish() -> None:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
        )
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].finish_reason:
                    break

    asyncio.run(stop_at_the_finish())
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"
    assert generation["usageDetails"]["total"] > 0
