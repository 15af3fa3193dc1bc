"""Structured outputs: ``chat.completions.parse`` / ``responses.parse`` (sync and async) through
instrumented clients against serve-local's simulator, read back through its v2 API: the parsed
object reaches the caller; usage, model, format and context are recorded as for ``create``; a
billed answer the SDK cannot parse is an ERROR that keeps its usage."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import openai
import pydantic
import pytest

from cost_pipeline.llm import RecordedCall
from cost_pipeline.llm.call import CallConfig
from cost_pipeline.llm.openai_client import OPENAI_CALLS
from cost_pipeline.llm.recorded_create import RecordedCreate
from cost_pipeline_tests.llm.conftest import READ_FIELDS, business_metadata, read_generation
from cost_pipeline_tests.llm.responses_calls import (
    CACHED_REASONING_KEYS,
    expected_chat_usage,
    expected_usage,
    instrumented_openai,
)

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_parse")

FAULT = "x-simulator-fault"
APIS = pytest.mark.parametrize("api", ["chat", "responses"])
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


class City(pydantic.BaseModel):
    name: str
    population: int
    districts: list[str]


def parse_each(client: Any, api: str, is_async: bool, requests: list[dict[str, Any]]) -> list:
    """The calls in order, as application code makes them (async: in one event loop, as the
    client's connections belong to it); errors reach the caller."""
    call = client.chat.completions.parse if api == "chat" else client.responses.parse
    if is_async:

        async def run() -> list:
            return [await call(**kwargs) for kwargs in requests]

        return asyncio.run(run())
    return [call(**kwargs) for kwargs in requests]


def parse(client: Any, api: str, is_async: bool, **kwargs: Any) -> Any:
    return parse_each(client, api, is_async, [kwargs])[0]


def request(api: str, prompt: str, **extra: Any) -> dict[str, Any]:
    """A parse request for ``City``; ``cap``: the output token cap, under each API's own name."""
    cap = extra.pop("cap", None)
    if api == "chat":
        kwargs = {"messages": [{"role": "user", "content": prompt}], "response_format": City}
        capped = {"max_completion_tokens": cap}
    else:
        kwargs = {"input": prompt, "text_format": City}
        capped = {"max_output_tokens": cap}
    return {**kwargs, **(capped if cap else {}), **extra}


def parsed_of(result: Any, api: str) -> tuple[Any, str]:
    """(the parsed object, the JSON text it came from)."""
    if api == "chat":
        message = result.choices[0].message
        return message.parsed, message.content
    return result.output_parsed, result.output_text


@APIS
@ASYNC
def test_parse_is_recorded_like_create(server, langfuse, recorded, api, is_async):
    client = instrumented_openai(server, langfuse, recorded, is_async, feature="geo", tier="gold")
    # Long instructions asked twice: the second call reads them from the prompt cache.
    instructions = f"{uuid.uuid4()} " + "answer as the schema says " * 300
    effort = {"reasoning_effort": "high"} if api == "chat" else {"reasoning": {"effort": "high"}}
    if api == "chat":
        prompt = {"messages": [{"role": "system", "content": instructions}]}
    else:
        prompt = {"instructions": instructions}
    requests = [request(api, q, model="o4-mini", **effort) for q in ("Paris?", "Lyon?")]
    for kwargs in requests:
        if api == "chat":
            kwargs["messages"] = prompt["messages"] + kwargs["messages"]
        else:
            kwargs.update(prompt)
    results = parse_each(client, api, is_async, requests)

    result = results[1]
    parsed, text = parsed_of(result, api)
    assert isinstance(parsed, City) and parsed == City.model_validate_json(text)
    assert len(recorded) == 2 and recorded[1].level == "DEFAULT" and not recorded[1].stream
    generation = read_generation(server, langfuse, recorded[1], f"{READ_FIELDS},io")
    expected = expected_chat_usage if api == "chat" else expected_usage
    assert generation["usageDetails"] == expected(result.usage)
    assert set(generation["usageDetails"]) == CACHED_REASONING_KEYS
    assert generation["costDetails"]["total"] > generation["costDetails"]["input_cached_tokens"] > 0
    assert generation["model"] == result.model == "o4-mini-2025-04-16"
    assert generation["name"] == (
        "openai.chat.completions" if api == "chat" else "openai.responses"
    )
    if api == "chat":
        assert generation["modelParameters"] == {
            "reasoning_effort": "high",
            "response_format": '{"json_schema": {"name": "City"}, "type": "json_schema"}',
        }
    else:
        assert generation["modelParameters"] == {
            "reasoning": '{"effort": "high"}',
            "text": '{"format": {"name": "City", "type": "json_schema"}}',
        }
    assert business_metadata(generation) == {
        "feature": "geo",
        "team": "t",
        "tier": "gold",
        "provider": "openai",
    }
    assert generation["tags"] == ["feature:geo", "team:t"]
    assert generation["level"] == "DEFAULT" and not generation["statusMessage"]
    assert json.loads(generation["output"]) == {"role": "assistant", "content": text}


@APIS
@ASYNC
def test_provider_error_is_recorded_as_error_and_reraised(
    server, langfuse, recorded, api, is_async
):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    with pytest.raises(openai.InternalServerError):
        kwargs = request(api, "x", model="gpt-4o-mini", extra_headers={FAULT: "status-500"})
        parse(client, api, is_async, **kwargs)
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith("500 InternalServerError")
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert generation["model"] == "gpt-4o-mini"  # what was asked: no response named one


# Cut by the token cap, the JSON no longer parses: chat's parse refuses a "length" finish, the
# Responses API's (an incomplete response) fails validating the cut text.
UNPARSEABLE = {"chat": openai.LengthFinishReasonError, "responses": pydantic.ValidationError}


@APIS
@ASYNC
def test_billed_answer_the_sdk_cannot_parse_is_an_error_with_its_usage(
    server, langfuse, recorded, api, is_async
):
    client = instrumented_openai(server, langfuse, recorded, is_async)
    error = UNPARSEABLE[api]
    with pytest.raises(error):
        parse(client, api, is_async, **request(api, "x", model="gpt-4o-mini", cap=5))
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith(error.__name__)
    usage = generation["usageDetails"]
    assert usage["output"] == 5 and usage["input"] > 0
    assert usage == {"input": usage["input"], "output": 5, "total": usage["input"] + 5}
    assert generation["costDetails"]["total"] > 0
    assert generation["model"] == "gpt-4o-mini-2024-07-18"  # as the billed response named it
    assert "usage_missing" not in business_metadata(generation)


@APIS
def test_unparseable_answer_without_usage_is_an_error_flagged_as_missing_usage(
    server, langfuse, recorded, api
):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    kwargs = request(api, "x", model="gpt-4o-mini", cap=5, extra_headers={FAULT: "no-usage"})
    with pytest.raises(UNPARSEABLE[api]):
        parse(client, api, False, **kwargs)
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert business_metadata(generation)["usage_missing"] is True


def test_a_resource_without_parse_raises_attribute_error_and_records_nothing(server, langfuse):
    # The legacy completions resource has no parse: nothing to record, the SDK's own error.
    calls: list[RecordedCall] = []
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    config = CallConfig(langfuse=langfuse, on_record=calls.append)
    completions = RecordedCreate(raw.completions, config, OPENAI_CALLS)
    with pytest.raises(AttributeError):
        completions.parse(model="gpt-4o-mini", prompt="x")
    assert calls == []
