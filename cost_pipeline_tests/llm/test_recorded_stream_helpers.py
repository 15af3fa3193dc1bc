"""The SDKs' stream helpers through instrumented clients: recorded like any other call."""

from __future__ import annotations

import asyncio

import anthropic
import openai
import pytest

from cost_pipeline.llm import instrument
from cost_pipeline_tests.llm.conftest import business_metadata, read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_stream_helpers")

MESSAGES = [{"role": "user", "content": "Say hi."}]


def _wrap(raw, langfuse, recorded):
    return instrument(
        raw, feature="chat", team="core", langfuse=langfuse, on_record=recorded.append
    )


def test_openai_stream_helper(server, langfuse, recorded):
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)
    with client.chat.completions.stream(model="o4-mini", messages=MESSAGES) as stream:
        final = stream.get_final_completion()
    usage = final.usage  # present although the caller did not ask: the wrapper asked
    reasoning = usage.completion_tokens_details.reasoning_tokens
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {
        "input": usage.prompt_tokens,
        "output": usage.completion_tokens - reasoning,
        "output_reasoning_tokens": reasoning,
        "total": usage.total_tokens,
    }
    assert generation["model"] == final.model == "o4-mini-2025-04-16"


def test_openai_stream_helper_left_at_content_done_keeps_its_usage(server, langfuse, recorded):
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)
    with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        for event in stream:
            if event.type == "content.done":
                break  # the answer is complete; the usage chunk has not been read yet
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"
    assert generation["usageDetails"]["total"] > 0
    assert "usage_missing" not in business_metadata(generation)


def test_async_openai_stream_helper_left_at_content_done_keeps_its_usage(
    server, langfuse, recorded
):
    raw = openai.AsyncOpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)

    async def leave_at_content_done() -> None:
        async with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
            async for event in stream:
                if event.type == "content.done":
                    break

    asyncio.run(leave_at_content_done())
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "DEFAULT"
    assert generation["usageDetails"]["total"] > 0


def test_anthropic_stream_helper_text_stream_and_final_message(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text
    generation = read_generation(server, langfuse, recorded[0])
    usage = final.usage
    assert generation["usageDetails"] == {
        "input": usage.input_tokens,
        "output": usage.output_tokens,
        "total": usage.input_tokens + usage.output_tokens,
    }
    assert business_metadata(generation)["feature"] == "chat"


def test_async_anthropic_stream_helper(server, langfuse, recorded):
    raw = anthropic.AsyncAnthropic(
        base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0
    )
    client = _wrap(raw, langfuse, recorded)

    async def call():
        async with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES
        ) as stream:
            return await stream.get_final_message()

    final = asyncio.run(call())
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"]["output"] == final.usage.output_tokens


def test_helper_error_is_recorded_and_reraised(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)
    with (
        pytest.raises(anthropic.OverloadedError),
        client.messages.stream(
            model="claude-haiku-4-5",
            max_tokens=8,
            messages=MESSAGES,
            extra_headers={"x-simulator-fault": "status-529"},
        ),
    ):
        pass
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR" and generation["statusMessage"].startswith("529")


def test_helper_left_early_is_incomplete(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    client = _wrap(raw, langfuse, recorded)
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES
    ) as stream:
        next(iter(stream))  # message_start only
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "WARNING"
    assert business_metadata(generation)["stream_incomplete"] is True
