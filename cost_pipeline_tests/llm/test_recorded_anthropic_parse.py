"""Anthropic structured outputs: ``messages.parse`` (sync and async) through instrumented clients
against serve-local's simulator, read back through its v2 API: the parsed object reaches the
caller; usage (cache reads and writes too), cost, model, format and context are recorded as for
``create``; a billed answer the SDK cannot parse is an ERROR that keeps its usage."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import anthropic
import pydantic
import pytest

from cost_pipeline.llm import instrument, track
from cost_pipeline.llm.anthropic_mapping import spec_for
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline_tests.llm.conftest import READ_FIELDS, business_metadata, read_generation

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_recorded_anthropic_parse")

FAULT = "x-simulator-fault"
MODEL = "claude-haiku-4-5"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


class City(pydantic.BaseModel):
    name: str
    population: int
    districts: list[str]


def instrumented(server, langfuse, recorded, is_async: bool, **context: Any) -> Any:
    cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    raw = cls(base_url=f"{server.base_url}/anthropic", api_key="sk-ant-test", max_retries=0)
    context = {"feature": "f", "team": "t", **context}
    return instrument(raw, langfuse=langfuse, on_record=recorded.append, **context)


def parse_each(client: Any, is_async: bool, requests: list[dict[str, Any]]) -> list[Any]:
    """The calls in order, as application code makes them (async: in one event loop, as the
    client's connections belong to it); errors reach the caller."""
    if is_async:

        async def run() -> list[Any]:
            return [await client.messages.parse(**kwargs) for kwargs in requests]

        return asyncio.run(run())
    return [client.messages.parse(**kwargs) for kwargs in requests]


def parse(client: Any, is_async: bool, **kwargs: Any) -> Any:
    return parse_each(client, is_async, [kwargs])[0]


def request(prompt: str, max_tokens: int = 256, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": prompt}]
    return {"model": MODEL, "max_tokens": max_tokens, "messages": messages} | {
        "output_format": City,
        **extra,
    }


def expected_usage(usage: Any) -> dict[str, int]:
    """Langfuse's keys from the usage the caller saw: cache reads and (5-minute) writes come on
    top of input; keys with nothing in them left out (input and output stay)."""
    read, written = usage.cache_read_input_tokens or 0, usage.cache_creation_input_tokens or 0
    details = {
        "input": usage.input_tokens,
        "input_cached_tokens": read,
        "input_cache_creation": written,
        "output": usage.output_tokens,
    }
    total = usage.input_tokens + read + written + usage.output_tokens
    return {k: v for k, v in details.items() if v or k in ("input", "output")} | {"total": total}


def expected_cost(model: str, usage: Any) -> float:
    tokens = TokenUsage(
        input=usage.input_tokens,
        cache_read=usage.cache_read_input_tokens or 0,
        cache_write=usage.cache_creation_input_tokens or 0,
        output=usage.output_tokens,
    )
    priced = price_usage(model, tokens)
    assert priced is not None, f"{model} has no price"
    return float(priced.total)


@ASYNC
def test_parse_is_recorded_like_create(server, langfuse, recorded, is_async):
    client = instrumented(server, langfuse, recorded, is_async, feature="geo", tier="gold")
    # A long cached system prompt asked twice: the first call writes it, the second reads it.
    system = [
        {
            "type": "text",
            "text": f"{uuid.uuid4()} " + "answer as the schema says " * 300,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    requests = [request(q, system=system) for q in ("Paris?", "Lyon?")]
    with track(user_id="user-9", session_id="sess-9"):
        results = parse_each(client, is_async, requests)

    assert len(recorded) == 2 and all(call.level == "DEFAULT" for call in recorded)
    assert results[0].usage.cache_creation_input_tokens > 0
    assert results[1].usage.cache_read_input_tokens > 0
    for result, call in zip(results, recorded, strict=True):
        text = result.content[0].text
        assert result.parsed_output == City.model_validate_json(text)
        assert isinstance(result.parsed_output, City)
        generation = read_generation(server, langfuse, call, f"{READ_FIELDS},io")
        assert generation["usageDetails"] == expected_usage(result.usage)
        assert generation["costDetails"]["total"] == pytest.approx(
            expected_cost(result.model, result.usage), rel=1e-9
        )
        assert generation["model"] == result.model == "claude-haiku-4-5-20251001"
        assert generation["name"] == "anthropic.messages"
        assert generation["modelParameters"] == {"max_tokens": 256, "output_format": "City"}
        assert business_metadata(generation) == {
            "feature": "geo",
            "team": "t",
            "tier": "gold",
            "provider": "anthropic",
        }
        assert generation["tags"] == ["feature:geo", "team:t"]
        assert (generation["userId"], generation["sessionId"]) == ("user-9", "sess-9")
        assert generation["level"] == "DEFAULT" and not generation["statusMessage"]
        assert json.loads(generation["output"]) == {"role": "assistant", "content": text}
        assert not call.stream


@ASYNC
def test_provider_error_is_recorded_as_error_and_reraised(server, langfuse, recorded, is_async):
    client = instrumented(server, langfuse, recorded, is_async)
    with pytest.raises(anthropic.RateLimitError):
        parse(client, is_async, **request("x", extra_headers={FAULT: "status-429"}))
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith("429 RateLimitError")
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert generation["model"] == MODEL  # what was asked: no response named one


@ASYNC
def test_billed_answer_the_sdk_cannot_parse_is_an_error_with_its_usage(
    server, langfuse, recorded, is_async
):
    client = instrumented(server, langfuse, recorded, is_async)
    # Cut by max_tokens, the JSON no longer validates: the SDK's own error reaches the caller.
    with pytest.raises(pydantic.ValidationError):
        parse(client, is_async, **request("x", max_tokens=5))
    generation = read_generation(server, langfuse, recorded[0], f"{READ_FIELDS},io")
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"].startswith("ValidationError")
    usage = generation["usageDetails"]
    assert usage == {"input": usage["input"], "output": 5, "total": usage["input"] + 5}
    assert usage["input"] > 0
    billed = TokenUsage(input=usage["input"], output=5)
    priced = price_usage("claude-haiku-4-5-20251001", billed)
    assert priced is not None and priced.total > 0
    assert generation["costDetails"]["total"] == pytest.approx(float(priced.total), rel=1e-9)
    assert generation["model"] == "claude-haiku-4-5-20251001"  # as the billed response named it
    assert "usage_missing" not in business_metadata(generation)
    # The cut answer the SDK refused is what was recorded as output.
    assert json.loads(generation["output"])["content"].startswith('{"name":')


def test_unparseable_answer_without_usage_is_an_error_flagged_as_missing_usage(
    server, langfuse, recorded
):
    client = instrumented(server, langfuse, recorded, is_async=False)
    kwargs = request("x", max_tokens=5, extra_headers={FAULT: "no-usage"})
    with pytest.raises(pydantic.ValidationError):
        parse(client, False, **kwargs)
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["usageDetails"] == {} and generation["costDetails"] == {}
    assert business_metadata(generation)["usage_missing"] is True


@pytest.mark.parametrize(
    ("output_format", "recorded_as"),
    [(City, "City"), (list[City], f"list[{City.__module__}.City]"), (None, None)],
    ids=["model", "generic", "none"],
)
def test_the_output_format_is_recorded_by_name_not_as_a_class_repr(output_format, recorded_as):
    kwargs = {**request("x"), "output_format": output_format}
    parameters = spec_for(kwargs).model_parameters
    assert parameters.get("output_format") == recorded_as
    json.dumps(parameters)  # Langfuse gets them as JSON


def test_an_sdk_without_the_raw_response_wrappers_still_imports_and_passes_parse_through():
    # The wrappers are private to the SDK: one that moves them must not break instrument().
    probe = (
        "import anthropic._response as r\n"
        "del r.to_raw_response_wrapper\n"
        "from cost_pipeline.llm import anthropic_client as c\n"
        "assert not c.PARSE_RECORDABLE and c.ANTHROPIC_CALLS.response_from_json is None\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
