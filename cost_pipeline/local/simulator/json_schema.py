"""Structured outputs: the JSON answer to a request that asks for a JSON schema.

The SDKs' ``parse`` helpers send a pydantic model as a JSON schema (openai: ``response_format``
on chat, ``text.format`` on the Responses API; anthropic: ``output_config.format``) and validate
the answer against the model, so the simulator must answer with JSON that conforms. The value is
built from the schema alone (no randomness): every required property, one item per array, the
first enum value. A schema it cannot follow is refused with a 400, as the real API refuses schemas
outside what structured outputs support, rather than answered with JSON that would not validate.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse

from cost_pipeline.local.simulator.errors import error_response
from cost_pipeline.local.simulator.reply import Reply, reply_for, structured_reply

_REF_PREFIX = "#/$defs/"
_STRINGS_BY_FORMAT = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "sim@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_REFUSED_KEYWORDS = ("pattern", "not", "if", "patternProperties")


class UnsupportedSchema(ValueError):
    """The schema asks for something the generator cannot follow; the text says what."""


def requested_schema(body: dict[str, Any], responses_api: bool) -> tuple[str, Any] | None:
    """(the format's name, its schema) when the request asks for a JSON schema, else None."""
    if responses_api:
        text = body.get("text")
        fmt = text.get("format") if isinstance(text, dict) else None
        spec = fmt
    else:
        fmt = body.get("response_format")
        spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    spec = spec if isinstance(spec, dict) else {}
    return str(spec.get("name") or "response"), spec.get("schema")


def openai_reply(
    body: dict[str, Any], responses_api: bool, digest: bytes, cap: int | None
) -> Reply | JSONResponse:
    """The answer to an OpenAI request: conforming JSON when it asks for a JSON schema (the
    400 the API sends for a schema the simulator cannot follow), else the usual words."""
    asked = requested_schema(body, responses_api)
    if asked is None:
        return reply_for(digest, cap)
    name, schema = asked
    try:
        return structured_reply(conforming_json(schema), cap)
    except UnsupportedSchema as exc:
        where = "text.format" if responses_api else "response_format"
        return error_response("openai", 400, f"Invalid schema for {where} '{name}': {exc}.")


def anthropic_json(body: dict[str, Any]) -> str | None:
    """The JSON answer when an Anthropic request asks for a JSON schema in
    ``output_config.format``, else None; raises UnsupportedSchema."""
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    return conforming_json(fmt.get("schema"))


def conforming_json(schema: Any) -> str:
    """Compact JSON text that validates against ``schema``; raises UnsupportedSchema."""
    if not isinstance(schema, dict):
        raise UnsupportedSchema("the schema must be a JSON object")
    value = _Generator(schema).value(schema, ())
    return json.dumps(value, separators=(",", ":"))


class _Generator:
    def __init__(self, root: dict[str, Any]) -> None:
        self._defs = root.get("$defs") or {}

    def value(self, schema: Any, refs: tuple[str, ...]) -> Any:
        """``refs``: the definitions being expanded, so a recursive one is refused, not looped."""
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"a subschema must be a JSON object, not {schema!r}")
        for keyword in _REFUSED_KEYWORDS:
            if keyword in schema:
                raise UnsupportedSchema(f"'{keyword}' is not supported by the simulator")
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"], refs), (*refs, schema["$ref"]))
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            if not isinstance(schema["enum"], list) or not schema["enum"]:
                raise UnsupportedSchema("'enum' must be a non-empty array")
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:  # pydantic's Optional[X] is anyOf [X, null]: X is taken
                options = schema[combinator]
                if not isinstance(options, list) or not options:
                    raise UnsupportedSchema(f"'{combinator}' must be a non-empty array")
                return self.value(options[0], refs)
        if "allOf" in schema and isinstance(schema["allOf"], list) and len(schema["allOf"]) == 1:
            return self.value(schema["allOf"][0], refs)
        return self._typed(schema, refs)

    def _resolve(self, ref: Any, refs: tuple[str, ...]) -> Any:
        if not isinstance(ref, str) or not ref.startswith(_REF_PREFIX):
            raise UnsupportedSchema(f"only '$ref' to '{_REF_PREFIX}...' is supported, not {ref!r}")
        if ref in refs:
            raise UnsupportedSchema(f"recursive '$ref' {ref!r} is not supported by the simulator")
        name = ref.removeprefix(_REF_PREFIX)
        if name not in self._defs:
            raise UnsupportedSchema(f"'$ref' {ref!r} names no definition in '$defs'")
        return self._defs[name]

    def _typed(self, schema: dict[str, Any], refs: tuple[str, ...]) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):  # ["string", "null"]: the first non-null type
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            required = schema.get("required") or []
            properties = schema.get("properties") or {}
            missing = [name for name in required if name not in properties]
            if missing:
                raise UnsupportedSchema(f"required properties without a schema: {missing}")
            return {name: self.value(properties[name], refs) for name in required}
        if kind == "array":
            if "items" not in schema:
                raise UnsupportedSchema("an array needs 'items'")
            count = max(1, int(schema.get("minItems") or 0))
            if schema.get("maxItems") == 0:
                count = 0
            return [self.value(schema["items"], refs) for _ in range(count)]
        if kind == "string":
            text = _STRINGS_BY_FORMAT.get(schema.get("format"), "simulated")
            return text.ljust(int(schema.get("minLength") or 0), "x")
        if kind in ("integer", "number"):
            return _number(schema, kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        raise UnsupportedSchema(f"type {kind!r} is not supported")


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    """1 (or 1.5), moved into ``minimum`` / ``maximum`` when they exclude it."""
    value: int | float = 1 if integer else 1.5
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + 1
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - 1
    if isinstance(low, int | float) and value < low:
        value = math.ceil(low) if integer else low
    if isinstance(high, int | float) and value > high:
        value = math.floor(high) if integer else high
    if isinstance(low, int | float) and value < low:
        raise UnsupportedSchema(f"no value lies between minimum {low} and maximum {high}")
    return int(value) if integer and value == int(value) else value
