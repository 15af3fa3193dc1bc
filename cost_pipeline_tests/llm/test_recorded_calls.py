"""Both providers x stream / non-stream x sync / async, read back through serve-local's v2 API.

The expected usage is derived here from the SDK response the caller got (provider semantics:
OpenAI cached/reasoning are subsets, Anthropic cache tokens come on top of input), then compared
with what Langfuse stores: exactly these keys, this metadata, these trace attributes.
"""

from __future__ import annotations

import asyncio

import anthropic
import openai
import pytest

from cost_pipeline.llm import instrument, track
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline_tests.llm.conftest import business_metadata, read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_calls")

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}]


def _openai(server, is_async: bool):
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=f"{server.base_url}/openai/v1", api_key="sk-test", max_retries=0)


def _anthropic(server, is_async: bool):
    cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    return cls(base_url=f"{server.base_url}/anthropic", api_key="sk-ant-test", max_retries=0)


def _call(client, provider: str, stream: bool, is_async: bool):
    """Make the call like application code would; returns (usage, model, text) it observed."""
    if provider == "openai":
        kwargs = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2}
        create = client.chat.completions.create
    else:
        kwargs = {
            "model": "claude-haiku-4-5",
            "max_tokens": 64,
            "system": "Be brief.",
            "messages": MESSAGES[1:],
        }
        create = client.messages.create

    async def run_async():
        result = await create(**kwargs, stream=stream)
        return [item async for item in result] if stream else result

    result = asyncio.run(run_async()) if is_async else create(**kwargs, stream=stream)
    return list(result) if stream and not is_async else result


def _expected_openai(response) -> dict:
    usage = response.usage
    return {
        "input": usage.prompt_tokens,
        "output": usage.completion_tokens,
        "total": usage.total_tokens,
    }


def _expected_anthropic(usage_in, usage_out) -> dict:
    return {"input": usage_in, "output": usage_out, "total": usage_in + usage_out}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_generation_carries_usage_context_and_trace_attributes(
    server, langfuse, recorded, provider, stream, is_async
):
    raw = _openai(server, is_async) if provider == "openai" else _anthropic(server, is_async)
    client = instrument(
        raw,
        feature="search",
        team="growth",
        langfuse=langfuse,
        on_record=recorded.append,
        tier="gold",
    )
    with track(user_id="user-7", session_id="sess-7", trace_name="search-answer", tags=["beta"]):
        result = _call(client, provider, stream, is_async)

    if provider == "openai" and not stream:
        expected, model = _expected_openai(result), result.model
    elif provider == "openai":
        assert all(chunk.choices for chunk in result)  # the forced usage chunk stays hidden
        model = result[-1].model
        text = "".join(chunk.choices[0].delta.content or "" for chunk in result)
        expected = None  # the caller saw no usage; compare with the non-stream twin below
    elif not stream:
        expected = _expected_anthropic(result.usage.input_tokens, result.usage.output_tokens)
        model = result.model
    else:
        start, delta = result[0].message.usage, result[-2].usage
        expected = _expected_anthropic(start.input_tokens, delta.output_tokens)
        model = result[0].message.model

    assert len(recorded) == 1
    generation = read_generation(server, langfuse, recorded[0])
    if expected is None:
        twin = _openai(server, False).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, temperature=0.2
        )
        assert twin.choices[0].message.content == text
        expected = _expected_openai(twin)

    assert generation["type"] == "GENERATION"
    assert generation["model"] == model and model != generation.get("name")
    assert model in ("gpt-4o-mini-2024-07-18", "claude-haiku-4-5-20251001")
    assert generation["usageDetails"] == expected
    tokens = TokenUsage(input=expected["input"], output=expected["output"])
    assert generation["costDetails"]["total"] == pytest.approx(
        float(price_usage(model, tokens).total), rel=1e-9
    )
    assert business_metadata(generation) == {
        "feature": "search",
        "team": "growth",
        "tier": "gold",
        "provider": provider,
    }
    assert generation["tags"] == ["feature:search", "team:growth", "beta"]
    assert (generation["userId"], generation["sessionId"]) == ("user-7", "sess-7")
    assert generation["traceName"] == "search-answer"
    assert generation["level"] == "DEFAULT"
    if stream:
        assert generation["startTime"] <= generation["completionStartTime"]
        assert generation["completionStartTime"] <= generation["endTime"]
    else:
        assert generation["completionStartTime"] is None
