"""Cache reads/writes and reasoning tokens reach Langfuse under the canonical keys."""

from __future__ import annotations

import uuid

import anthropic
import openai
import pytest

from cost_pipeline.llm import instrument
from cost_pipeline_tests.llm.conftest import read_generation, trace_observations

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_token_classes")


@pytest.fixture
def openai_client(server, langfuse, recorded):
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


@pytest.fixture
def anthropic_client(server, langfuse, recorded):
    raw = anthropic.Anthropic(base_url=f"{server.base_url}/anthropic", api_key="k", max_retries=0)
    return instrument(raw, feature="f", team="t", langfuse=langfuse, on_record=recorded.append)


def test_openai_cached_prefix_is_split_out_of_input(server, langfuse, recorded, openai_client):
    prefix = f"{uuid.uuid4()} " + "company policy " * 450
    responses = [
        openai_client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "system", "content": prefix}, {"role": "user", "content": question}],
        )
        for question in ("first?", "second?")
    ]
    usage = responses[1].usage
    cached = usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024
    generation = read_generation(server, langfuse, recorded[1])
    assert generation["usageDetails"] == {
        "input": usage.prompt_tokens - cached,
        "input_cached_tokens": cached,
        "output": usage.completion_tokens,
        "total": usage.total_tokens,
    }
    assert generation["costDetails"]["input_cached_tokens"] > 0


def test_openai_reasoning_tokens_are_split_out_of_output(server, langfuse, recorded, openai_client):
    response = openai_client.chat.completions.create(
        model="o4-mini", messages=[{"role": "user", "content": "think"}], reasoning_effort="high"
    )
    reasoning = response.usage.completion_tokens_details.reasoning_tokens
    assert reasoning > 0
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {
        "input": response.usage.prompt_tokens,
        "output": response.usage.completion_tokens - reasoning,
        "output_reasoning_tokens": reasoning,
        "total": response.usage.total_tokens,
    }
    assert generation["modelParameters"] == {"reasoning_effort": "high"}


def test_anthropic_cache_write_then_read_with_ttl_split(
    server, langfuse, recorded, anthropic_client
):
    system = [
        {
            "type": "text",
            "text": f"{uuid.uuid4()} " + "rules " * 900,
            "cache_control": {"type": "ephemeral"},
        },
        {
            "type": "text",
            "text": "examples " * 700,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        },
    ]
    messages = [{"role": "user", "content": "q"}]
    first = anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=64, system=system, messages=messages
    ).usage
    second = list(
        anthropic_client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, system=system, messages=messages, stream=True
        )
    )
    write = read_generation(server, langfuse, recorded[0])
    split = first.cache_creation
    # Split by TTL only: with the combined key too, Langfuse would count the writes twice.
    assert write["usageDetails"] == {
        "input": first.input_tokens,
        "input_cache_creation_5m": split.ephemeral_5m_input_tokens,
        "input_cache_creation_1h": split.ephemeral_1h_input_tokens,
        "output": first.output_tokens,
        "total": first.input_tokens + first.cache_creation_input_tokens + first.output_tokens,
    }
    start, delta = second[0].message.usage, second[-2].usage
    read = read_generation(server, langfuse, recorded[1])
    assert read["usageDetails"] == {
        "input": start.input_tokens,
        "input_cached_tokens": start.cache_read_input_tokens,
        "output": delta.output_tokens,
        "total": start.input_tokens + start.cache_read_input_tokens + delta.output_tokens,
    }
    assert start.cache_read_input_tokens == first.cache_creation_input_tokens


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_claude_thinking_tokens_are_reasoning(server, langfuse, recorded, anthropic_client, stream):
    result = anthropic_client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "think"}],
        stream=stream,
    )
    usage = list(result)[-2].usage if stream else result.usage
    thinking = usage.output_tokens_details.thinking_tokens
    details = read_generation(server, langfuse, recorded[0])["usageDetails"]
    assert details["output_reasoning_tokens"] == thinking > 0
    assert details["output"] == usage.output_tokens - thinking


def test_anthropic_call_is_one_observation_not_two(server, langfuse, recorded, anthropic_client):
    """The anthropic SDK's own gen_ai span must not become a second, double-counted generation."""
    anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
    )
    langfuse.flush()
    observations = trace_observations(server, recorded[0].trace_id)
    assert [o["id"] for o in observations] == [recorded[0].observation_id]
