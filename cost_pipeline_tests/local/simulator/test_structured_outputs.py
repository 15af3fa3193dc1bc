"""Structured outputs: JSON that conforms to the schema the request carries, generated from the
schema alone, checked with the real openai and anthropic SDKs' ``parse`` helpers against the
simulator."""

from __future__ import annotations

import datetime
import enum
import json
import re
from typing import Literal

import anthropic
import openai
import pydantic
import pytest
from anthropic.lib._parse._transform import cached_json_schema, transform_schema
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, TypeAdapter

from cost_pipeline.local.simulator.json_schema import UnsupportedSchema, conforming_json
from cost_pipeline.local.simulator.tokens import count_tokens

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("simulator_structured_outputs")


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Step(BaseModel):
    explanation: str
    count: int


class Answer(BaseModel):
    steps: list[Step]
    final: str
    color: Color
    kind: Literal["a", "b"]
    maybe: float | None
    ok: bool
    when: datetime.date
    tags: dict[str, int] | None = None


def test_generated_json_validates_against_the_pydantic_model_it_came_from():
    # The schema exactly as the SDK sends it: $defs/$ref, enum, anyOf with null, formats.
    text = conforming_json(to_strict_json_schema(Answer))
    answer = Answer.model_validate_json(text)
    assert answer.steps == [Step(explanation="simulated", count=1)]
    assert (answer.color, answer.kind, answer.maybe, answer.ok) == (Color.RED, "a", 1.5, True)
    assert answer.when == datetime.date(2025, 1, 1) and answer.tags == {}
    assert conforming_json(to_strict_json_schema(Answer)) == text  # deterministic


def test_bounds_and_sizes_are_respected():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 3, "maximum": 9},
            "x": {"type": "number", "exclusiveMaximum": 0},
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "code": {"type": "string", "minLength": 12},
            "skipped": {"type": "string"},
        },
        "required": ["n", "x", "items", "code"],
    }
    assert json.loads(conforming_json(schema)) == {
        "n": 3,
        "x": -1,
        "items": ["simulated", "simulated"],
        "code": "simulatedxxx",
    }


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "string", "pattern": "^a+$"}, "'pattern' is not supported"),
        ({"$ref": "#/definitions/X"}, "only '$ref' to '#/$defs/...'"),
        ({"$ref": "#/$defs/Missing"}, "names no definition"),
        ({"type": "array"}, "an array needs 'items'"),
        ({"type": "tuple"}, "type 'tuple' is not supported"),
        ({"type": "object", "required": ["a"], "properties": {}}, "without a schema: ['a']"),
        (
            {
                "$defs": {"N": {"type": "array", "items": {"$ref": "#/$defs/N"}}},
                "$ref": "#/$defs/N",
            },
            "recursive '$ref'",
        ),
    ],
)
def test_a_schema_it_cannot_follow_is_refused_with_the_reason(schema, reason):
    with pytest.raises(UnsupportedSchema, match=re.escape(reason)):
        conforming_json(schema)


@pytest.fixture(scope="module")
def client(simulator):
    return openai.OpenAI(base_url=simulator.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_parse_gets_a_conforming_answer_counted_like_any_answer(client, api):
    if api == "chat":
        result = client.chat.completions.parse(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Solve it."}],
            response_format=Answer,
        )
        text, parsed = result.choices[0].message.content, result.choices[0].message.parsed
        prompt_tokens, output_tokens = result.usage.prompt_tokens, result.usage.completion_tokens
    else:
        result = client.responses.parse(model="gpt-4o-mini", input="Solve it.", text_format=Answer)
        text, parsed = result.output_text, result.output_parsed
        prompt_tokens, output_tokens = result.usage.input_tokens, result.usage.output_tokens
        assert result.text.format.type == "json_schema" and result.text.format.name == "Answer"
    assert isinstance(parsed, Answer) and parsed.final == "simulated"
    assert text == conforming_json(to_strict_json_schema(Answer))
    # The schema does not count as prompt (the existing rule); the JSON counts as output.
    assert prompt_tokens == count_tokens("user: Solve it.\n")
    assert output_tokens == count_tokens(text)


def test_a_cap_below_the_json_cuts_it_and_the_sdk_refuses_to_parse(client):
    with pytest.raises(openai.LengthFinishReasonError) as raised:
        client.chat.completions.parse(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Solve it."}],
            response_format=Answer,
            max_completion_tokens=5,
        )
    assert raised.value.completion.usage.completion_tokens == 5
    response = client.responses.create(
        model="gpt-4o-mini",
        input="Solve it.",
        max_output_tokens=5,
        text={"format": {"type": "json_schema", "name": "A", "schema": {"type": "boolean"}}},
    )
    assert response.output_text == "true"  # it fits: cut only when longer than the cap
    assert response.status == "completed" and response.usage.output_tokens == 1


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_unsupported_schema_is_a_400_naming_the_format(client, api):
    schema = {"type": "object", "properties": {"a": {"type": "tuple"}}, "required": ["a"]}
    where = "response_format" if api == "chat" else "text.format"
    expected = re.escape(f"Invalid schema for {where} 'Odd': type 'tuple' is not supported")
    with pytest.raises(openai.BadRequestError, match=expected):
        if api == "chat":
            fmt = {"type": "json_schema", "json_schema": {"name": "Odd", "schema": schema}}
            messages = [{"role": "user", "content": "x"}]
            client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, response_format=fmt
            )
        else:
            fmt = {"type": "json_schema", "name": "Odd", "schema": schema}
            client.responses.create(model="gpt-4o-mini", input="x", text={"format": fmt})


@pytest.fixture(scope="module")
def claude(simulator):
    return anthropic.Anthropic(
        base_url=simulator.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    )


def anthropic_schema(model: type) -> dict:
    """The schema exactly as anthropic's ``messages.parse`` sends it in ``output_config``."""
    return transform_schema(cached_json_schema(TypeAdapter(model)))


CLAUDE = "claude-haiku-4-5"
SOLVE = [{"role": "user", "content": "Solve it."}]


@pytest.mark.parametrize("thinking", [False, True], ids=["plain", "thinking"])
def test_anthropic_parse_gets_a_conforming_answer_counted_like_any_answer(claude, thinking):
    extra = {"thinking": {"type": "enabled", "budget_tokens": 1024}} if thinking else {}
    message = claude.messages.parse(
        model=CLAUDE, max_tokens=2048, messages=SOLVE, output_format=Answer, **extra
    )
    text = message.content[-1].text
    assert isinstance(message.parsed_output, Answer) and message.parsed_output.final == "simulated"
    assert text == conforming_json(anthropic_schema(Answer))
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == count_tokens("user: Solve it.\n")
    thinking_tokens = message.usage.output_tokens - count_tokens(text)
    assert (thinking_tokens > 0) == thinking  # thinking comes on top of the JSON


def test_anthropic_stream_with_a_format_streams_the_conforming_json(claude):
    with claude.messages.stream(
        model=CLAUDE, max_tokens=512, messages=SOLVE, output_format=Answer
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == conforming_json(anthropic_schema(Answer))
    assert final.usage.output_tokens == count_tokens(text)


def test_anthropic_cap_below_the_json_cuts_it_and_the_sdk_refuses_to_parse(claude):
    with pytest.raises(pydantic.ValidationError):
        claude.messages.parse(model=CLAUDE, max_tokens=5, messages=SOLVE, output_format=Answer)
    # The same request made with create: the cut answer the SDK was handed, billed as usual.
    fmt = {"type": "json_schema", "schema": anthropic_schema(Answer)}
    message = claude.messages.create(
        model=CLAUDE, max_tokens=5, messages=SOLVE, output_config={"format": fmt}
    )
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 5
    assert conforming_json(anthropic_schema(Answer)).startswith(message.content[0].text)


def test_anthropic_unsupported_schema_is_a_400_naming_the_field(claude):
    schema = {"type": "object", "properties": {"a": {"type": "tuple"}}, "required": ["a"]}
    fmt = {"type": "json_schema", "schema": schema}
    expected = re.escape("output_config.format.schema: type 'tuple' is not supported")
    with pytest.raises(anthropic.BadRequestError, match=expected):
        claude.messages.create(
            model=CLAUDE, max_tokens=64, messages=SOLVE, output_config={"format": fmt}
        )
