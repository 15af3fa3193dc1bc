"""The real openai SDK against the simulator: plain, streamed, helper, async, cache, errors."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import openai
import pytest

from cost_pipeline.local.simulator.tokens import count_tokens

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_openai")


@pytest.fixture(scope="module")
def client(simulator):
    return openai.OpenAI(base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0)


def _messages(text: str = "Say hello.") -> list[dict]:
    return [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]


def test_plain_completion_reports_usage_and_resolved_model(client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=_messages())
    usage = completion.usage
    assert completion.model == "gpt-4o-mini-2024-07-18"
    assert usage.prompt_tokens == count_tokens("system: Be brief.\nuser: Say hello.\n")
    assert usage.completion_tokens == count_tokens(completion.choices[0].message.content)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_same_request_same_answer(client):
    first = client.chat.completions.create(model="gpt-4o", messages=_messages("x"))
    second = client.chat.completions.create(model="gpt-4o", messages=_messages("x"))
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.usage.completion_tokens == second.usage.completion_tokens


def test_stream_ends_with_usage_chunk_only_when_asked(client):
    kwargs = {"model": "gpt-4o-mini", "messages": _messages(), "stream": True}
    chunks = list(client.chat.completions.create(**kwargs, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens > 0
    assert all(chunk.usage is None for chunk in chunks[:-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.completion_tokens == count_tokens(text)
    plain = list(client.chat.completions.create(**kwargs))
    assert all(chunk.usage is None and chunk.choices for chunk in plain)


def test_stream_helper_final_completion(client):
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=_messages(), stream_options={"include_usage": True}
    ) as stream:
        final = stream.get_final_completion()
    assert final.model == "gpt-4o-mini-2024-07-18"
    assert final.usage.completion_tokens == count_tokens(final.choices[0].message.content)


def test_async_client(simulator):
    async def call():
        async with openai.AsyncOpenAI(
            base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0
        ) as client:
            stream = await client.chat.completions.create(
                model="gpt-4.1-mini",
                messages=_messages(),
                stream=True,
                stream_options={"include_usage": True},
            )
            return [chunk async for chunk in stream]

    chunks = asyncio.run(call())
    assert chunks[-1].model == "gpt-4.1-mini-2025-04-14"
    assert chunks[-1].usage.prompt_tokens > 0


def test_repeated_long_prefix_is_cached_in_128_token_steps(client):
    prefix = f"{uuid.uuid4()} " + "policy text " * 500  # ~1500 tokens, unique to this test
    first = client.chat.completions.create(model="gpt-4o", messages=_messages(prefix + "A?"))
    second = client.chat.completions.create(model="gpt-4o", messages=_messages(prefix + "B?"))
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024 and (cached - 1024) % 128 == 0
    assert cached <= second.usage.prompt_tokens
    assert second.usage.prompt_tokens - cached < 128 + count_tokens("B?\n")


def test_short_prompts_are_never_cached(client):
    for _ in range(2):
        usage = client.chat.completions.create(model="gpt-4o", messages=_messages("hi")).usage
        assert usage.prompt_tokens_details.cached_tokens == 0


@pytest.mark.parametrize("model", ["o4-mini", "gpt-5-mini", "o3"])
def test_reasoning_models_spend_reasoning_tokens(client, model):
    usage = client.chat.completions.create(
        model=model, messages=_messages(), reasoning_effort="high"
    ).usage
    reasoning = usage.completion_tokens_details.reasoning_tokens
    assert reasoning > 0
    assert usage.completion_tokens > reasoning


def test_max_completion_tokens_caps_reasoning_and_text(client):
    completion = client.chat.completions.create(
        model="o4-mini", messages=_messages(), max_completion_tokens=10
    )
    assert completion.usage.completion_tokens <= 10
    assert completion.choices[0].finish_reason == "length"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (400, openai.BadRequestError),
    ],
)
def test_forced_errors_raise_typed_exceptions(client, status, error):
    with pytest.raises(error) as raised:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=_messages(),
            extra_headers={"x-simulator-fault": f"status-{status}"},
        )
    assert raised.value.status_code == status
    assert raised.value.body["type"]


def test_missing_api_key_is_rejected_in_openai_shape(simulator):
    body = {"model": "gpt-4o-mini", "messages": _messages()}
    response = httpx.post(f"{simulator.openai_base_url}/chat/completions", json=body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_invalid_request_is_a_400(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[])


@pytest.mark.parametrize("how", ["header", "model"])
def test_response_without_usage(client, how):
    kwargs = {"model": "gpt-4o-mini", "messages": _messages()}
    if how == "header":
        kwargs["extra_headers"] = {"x-simulator-fault": "no-usage"}
    else:
        kwargs["model"] = "sim-no-usage"
    assert client.chat.completions.create(**kwargs).usage is None
    chunks = list(
        client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(chunk.usage is None for chunk in chunks)


def test_error_rate_knob_fails_every_request_at_one(client, knobs):
    knobs.update(error_rate=1.0)
    with pytest.raises((openai.RateLimitError, openai.InternalServerError)):
        client.chat.completions.create(model="gpt-4o-mini", messages=_messages())
    knobs.update(error_rate=0.0)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=_messages()).usage
