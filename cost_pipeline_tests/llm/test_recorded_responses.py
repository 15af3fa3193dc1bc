"""Responses API calls (create, stream=True, the stream helper) x sync / async through instrumented
clients, read back through serve-local's v2 API: exact usage keys, model, cost, context."""

from __future__ import annotations

import json
import uuid

import pytest

from cost_pipeline.llm import instrument, track
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline_tests.llm.conftest import READ_FIELDS, business_metadata, read_generation
from cost_pipeline_tests.llm.responses_calls import (
    CACHED_REASONING_KEYS,
    MODES,
    expected_usage,
    instrumented_openai,
    respond,
)

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_responses")


def _io(generation: dict) -> tuple[object, object]:
    """The recorded prompt and answer (the v2 API returns them as JSON text)."""
    return tuple(
        None if generation[key] is None else json.loads(generation[key])
        for key in ("input", "output")
    )


ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@ASYNC
@pytest.mark.parametrize("mode", MODES)
def test_generation_carries_usage_context_and_trace_attributes(
    server, langfuse, recorded, mode, is_async
):
    client = instrumented_openai(
        server, langfuse, recorded, is_async, feature="search", team="growth", tier="gold"
    )
    with track(user_id="user-7", session_id="sess-7", trace_name="search-answer", tags=["beta"]):
        response, events = respond(
            client, mode, is_async, model="gpt-4o-mini", input="Say hi.", temperature=0.2
        )

    assert response.usage.output_tokens > 0
    assert len(recorded) == 1 and recorded[0].stream == (mode != "plain")
    generation = read_generation(server, langfuse, recorded[0], f"{READ_FIELDS},io")
    assert generation["type"] == "GENERATION" and generation["name"] == "openai.responses"
    assert generation["model"] == response.model == "gpt-4o-mini-2024-07-18"
    assert generation["usageDetails"] == expected_usage(response.usage)
    assert generation["usageDetails"] == {
        "input": response.usage.input_tokens,
        "output": response.usage.output_tokens,
        "total": response.usage.input_tokens + response.usage.output_tokens,
    }
    tokens = TokenUsage(input=response.usage.input_tokens, output=response.usage.output_tokens)
    assert generation["costDetails"]["total"] == pytest.approx(
        float(price_usage(response.model, tokens).total), rel=1e-9
    )
    assert generation["modelParameters"] == {"temperature": 0.2}
    assert business_metadata(generation) == {
        "feature": "search",
        "team": "growth",
        "tier": "gold",
        "provider": "openai",
    }
    assert generation["tags"] == ["feature:search", "team:growth", "beta"]
    assert (generation["userId"], generation["sessionId"]) == ("user-7", "sess-7")
    assert generation["traceName"] == "search-answer"
    assert generation["level"] == "DEFAULT" and not generation["statusMessage"]
    assert _io(generation) == (
        [{"role": "user", "content": "Say hi."}],
        {"role": "assistant", "content": response.output_text},
    )
    if mode == "plain":
        assert generation["completionStartTime"] is None
    else:  # the first text delta, the helper's included: its raw events pass the wrapper
        assert generation["startTime"] <= generation["completionStartTime"]
        assert generation["completionStartTime"] <= generation["endTime"]
        assert events[-1].type == "response.completed"


@pytest.mark.parametrize("mode", MODES)
def test_cached_and_reasoning_tokens_are_split_out(server, langfuse, recorded, mode):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    instructions = f"{uuid.uuid4()} " + "company policy " * 450  # ~1700 tokens, cached next time
    responses = [
        respond(
            client,
            mode,
            False,
            model="o4-mini",
            instructions=instructions,
            input=question,
            reasoning={"effort": "high"},
        )[0]
        for question in ("first?", "second?")
    ]
    usage = responses[1].usage
    assert usage.input_tokens_details.cached_tokens >= 1024
    assert usage.output_tokens_details.reasoning_tokens > 0
    generation = read_generation(server, langfuse, recorded[1])
    assert generation["usageDetails"] == expected_usage(usage)
    assert set(generation["usageDetails"]) == CACHED_REASONING_KEYS
    assert sum(v for k, v in generation["usageDetails"].items() if k != "total") == (
        usage.total_tokens
    )
    assert generation["costDetails"]["input_cached_tokens"] > 0
    assert generation["costDetails"]["output_reasoning_tokens"] > 0
    assert generation["model"] == "o4-mini-2025-04-16"
    assert generation["modelParameters"] == {"reasoning": '{"effort": "high"}'}


@pytest.mark.parametrize("tier", ["flex", None])
@pytest.mark.parametrize("mode", MODES)
def test_service_tier_of_the_response_prices_the_call(server, langfuse, recorded, mode, tier):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    extra = {"service_tier": tier} if tier else {}
    response, _ = respond(client, mode, False, model="gpt-5-mini", input="hello", **extra)
    assert response.service_tier == (tier or "default")
    generation = read_generation(server, langfuse, recorded[0])
    usage = generation["usageDetails"]
    tokens = TokenUsage(
        input=usage["input"], output=usage["output"], reasoning=usage["output_reasoning_tokens"]
    )
    served = price_usage("gpt-5-mini", tokens, (("service_tier", response.service_tier),))
    standard = price_usage("gpt-5-mini", tokens)
    assert generation["costDetails"]["total"] == pytest.approx(float(served.total), rel=1e-9)
    assert (served.total != standard.total) == (tier is not None)


@pytest.mark.parametrize("mode", MODES)
def test_capture_io_false_records_usage_without_prompt_or_answer(server, langfuse, recorded, mode):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    quiet = instrument(client, capture_io=False)
    respond(quiet, mode, False, model="gpt-4o-mini", instructions="Be brief.", input="secret")
    respond(client, mode, False, model="gpt-4o-mini", instructions="Be brief.", input="secret")
    hidden, shown = (read_generation(server, langfuse, c, f"{READ_FIELDS},io") for c in recorded)
    assert _io(hidden) == (None, None)
    assert hidden["usageDetails"] == shown["usageDetails"] and hidden["usageDetails"]["total"] > 0
    prompt, answer = _io(shown)
    assert prompt == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "secret"},
    ]
    assert answer["role"] == "assistant" and answer["content"]
