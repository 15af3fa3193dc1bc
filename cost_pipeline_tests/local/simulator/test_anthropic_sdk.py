"""The real anthropic SDK against the simulator: plain, raw stream, helper, cache, thinking."""

from __future__ import annotations

import asyncio
import uuid

import anthropic
import httpx
import pytest

from cost_pipeline.local.simulator.tokens import count_tokens

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_anthropic")

MODEL = "claude-haiku-4-5"


@pytest.fixture(scope="module")
def client(simulator):
    return anthropic.Anthropic(
        base_url=simulator.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    )


def _create(client, **overrides):
    kwargs = {
        "model": MODEL,
        "max_tokens": 64,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Say hello."}],
        **overrides,
    }
    return client.messages.create(**kwargs)


def test_plain_message_reports_usage_and_resolved_model(client):
    message = _create(client)
    assert message.model == "claude-haiku-4-5-20251001"
    assert message.usage.input_tokens == count_tokens("system: Be brief.\nuser: Say hello.\n")
    assert message.usage.output_tokens == count_tokens(message.content[0].text)
    assert message.usage.cache_read_input_tokens == 0
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == 0


def test_raw_stream_splits_usage_over_start_and_delta(client):
    events = list(_create(client, stream=True))
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    start, delta = events[0].message.usage, events[-2].usage
    plain = _create(client).usage
    assert start.input_tokens == plain.input_tokens
    assert delta.output_tokens == plain.output_tokens
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert delta.output_tokens == count_tokens(text)


def test_stream_helper_final_message(client):
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Say hello."}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.model == "claude-haiku-4-5-20251001"
    assert final.usage.output_tokens == count_tokens(text)
    assert final.usage.input_tokens == count_tokens("user: Say hello.\n")


def test_async_stream_helper(simulator):
    async def call():
        client = anthropic.AsyncAnthropic(
            base_url=simulator.anthropic_base_url, api_key="sk-ant-test", max_retries=0
        )
        async with client.messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            return await stream.get_final_message()

    final = asyncio.run(call())
    assert final.usage.output_tokens > 0


def test_cache_breakpoints_write_then_read_with_ttl_split(client):
    nonce = str(uuid.uuid4())
    system = [
        {"type": "text", "text": nonce + " rules " * 900, "cache_control": {"type": "ephemeral"}},
        {
            "type": "text",
            "text": "examples " * 700,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        },
    ]
    first = _create(client, system=system).usage
    second = _create(client, system=system, messages=[{"role": "user", "content": "Other?"}]).usage
    assert first.cache_read_input_tokens == 0
    assert first.cache_creation_input_tokens > 2000
    split = first.cache_creation
    assert split.ephemeral_5m_input_tokens > 1024 and split.ephemeral_1h_input_tokens > 1024
    assert split.ephemeral_5m_input_tokens + split.ephemeral_1h_input_tokens == (
        first.cache_creation_input_tokens
    )
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert 0 < second.input_tokens < 20  # only the uncached question


def test_no_breakpoint_means_no_caching(client):
    long_system = str(uuid.uuid4()) + " rules " * 900
    for _ in range(2):
        usage = _create(client, system=long_system).usage
        assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens == 0


def test_thinking_tokens_are_part_of_output(client):
    message = _create(client, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048})
    assert [block.type for block in message.content] == ["thinking", "text"]
    thinking = message.usage.output_tokens_details.thinking_tokens
    assert 0 < thinking < message.usage.output_tokens
    assert message.usage.output_tokens - thinking == count_tokens(message.content[1].text)


def test_thinking_in_stream_helper(client):
    with client.messages.stream(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "hi"}],
    ) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    assert final.usage.output_tokens_details.thinking_tokens > 0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (529, anthropic.OverloadedError),
    ],
)
def test_forced_errors_raise_typed_exceptions(client, status, error):
    with pytest.raises(error) as raised:
        _create(client, extra_headers={"x-simulator-fault": f"status-{status}"})
    assert raised.value.status_code == status
    assert raised.value.body["type"] == "error"


def test_x_api_key_header_and_missing_key(simulator):
    url = f"{simulator.anthropic_base_url}/v1/messages"
    body = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(url, json=body, headers={"x-api-key": "k"}).status_code == 200
    missing = httpx.post(url, json=body)
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"


def test_missing_max_tokens_is_invalid(simulator):
    response = httpx.post(
        f"{simulator.anthropic_base_url}/v1/messages",
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer k"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_response_without_usage(client):
    message = _create(client, extra_headers={"x-simulator-fault": "no-usage"})
    assert getattr(message, "usage", None) is None
    events = list(_create(client, stream=True, extra_headers={"x-simulator-fault": "no-usage"}))
    assert getattr(events[0].message, "usage", None) is None
    assert getattr(events[-2], "usage", None) is None


def test_count_tokens_uses_the_same_rule(client):
    counted = client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "Say hello."}]
    )
    assert counted.input_tokens == count_tokens("user: Say hello.\n")
