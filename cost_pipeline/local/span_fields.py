"""Single observation fields from span attributes, with Langfuse's precedence and fallbacks."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

import orjson

from cost_pipeline.local.timefmt import parse_iso_ms

OBSERVATION_TYPES = frozenset(
    {
        "SPAN",
        "GENERATION",
        "EVENT",
        "AGENT",
        "TOOL",
        "CHAIN",
        "RETRIEVER",
        "EVALUATOR",
        "EMBEDDING",
        "GUARDRAIL",
    }
)
LEVELS = frozenset({"DEBUG", "DEFAULT", "WARNING", "ERROR"})

_OPENINFERENCE_KINDS = {
    "LLM": "GENERATION",
    "EMBEDDING": "EMBEDDING",
    "AGENT": "AGENT",
    "TOOL": "TOOL",
    "CHAIN": "CHAIN",
    "RETRIEVER": "RETRIEVER",
    "GUARDRAIL": "GUARDRAIL",
    "EVALUATOR": "EVALUATOR",
}
_GEN_AI_OPERATIONS = {
    "chat": "GENERATION",
    "completion": "GENERATION",
    "text_completion": "GENERATION",
    "generate_content": "GENERATION",
    "generate": "GENERATION",
    "embeddings": "EMBEDDING",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
    "execute_tool": "TOOL",
}
MODEL_KEYS = (
    "langfuse.observation.model.name",
    "gen_ai.response.model",
    "ai.model.id",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.model_name",
    "model",
)
_ENVIRONMENT_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")


def first_text(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def observation_type(attributes: Mapping[str, Any], scope_name: str, scope_version: str) -> str:
    declared = attributes.get("langfuse.observation.type")
    has_model = first_text(attributes, MODEL_KEYS) is not None
    if isinstance(declared, str) and declared.upper() in OBSERVATION_TYPES:
        kind = declared.upper()
        # Langfuse Python SDK <= 3.3 sent generations as type "span" with model attributes.
        if kind == "SPAN" and has_model and _old_python_sdk(scope_name, scope_version):
            return "GENERATION"
        return kind
    openinference = attributes.get("openinference.span.kind")
    if isinstance(openinference, str) and openinference.upper() in _OPENINFERENCE_KINDS:
        return _OPENINFERENCE_KINDS[openinference.upper()]
    operation = attributes.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation.lower() in _GEN_AI_OPERATIONS:
        return _GEN_AI_OPERATIONS[operation.lower()]
    return "GENERATION" if has_model else "SPAN"


def _old_python_sdk(scope_name: str, scope_version: str) -> bool:
    if scope_name != "langfuse-sdk":
        return False
    parts = scope_version.split(".")
    try:
        return (int(parts[0]), int(parts[1])) <= (3, 3)
    except (ValueError, IndexError):
        return False


def normalize_environment(value: str | None) -> str:
    """Lower-case, ``langfuse`` prefix stripped, <= 40 chars of [a-z0-9_-]; else "default"."""
    if not value:
        return "default"
    text = value.strip().lower()
    if text.startswith("langfuse"):
        text = text[len("langfuse") :].lstrip("-_")
    return text if _ENVIRONMENT_PATTERN.match(text) else "default"


def parse_tags(value: Any) -> list[str]:
    """Tags in any form Langfuse accepts: array, JSON array string, comma list, single string."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(tag) for tag in value if tag is not None and str(tag) != ""]
    if not isinstance(value, str):
        return [str(value)]
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parse_tags(parsed)
    return [part.strip() for part in text.split(",") if part.strip()]


def json_object(value: Any) -> Any:
    """Parse a JSON attribute value; returns the raw value when it is not JSON text."""
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _has_float(value: Any) -> bool:
    if type(value) is float:
        return True
    return isinstance(value, dict) and any(_has_float(item) for item in value.values())


def json_object_exact(value: Any) -> Any:
    """``json_object``, but integers beyond 64 bits stay integers: orjson reads them as floats,
    which Langfuse's usage rule drops, so an absurd count would vanish instead of being stored
    as sent (and then rejected by the loader with a reason)."""
    parsed = json_object(value)
    if isinstance(value, str) and _has_float(parsed):
        # Valid JSON (orjson has just parsed it); only Python's 4300-digit cap can refuse it.
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return parsed


def model_parameters(attributes: Mapping[str, Any], semconv: bool) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    declared = json_object(attributes.get("langfuse.observation.model.parameters"))
    if isinstance(declared, dict):
        params.update(declared)
    if semconv:  # gen_ai.request.* parameters of plain OpenTelemetry GenAI clients
        for key, value in attributes.items():
            if key.startswith("gen_ai.request.") and key != "gen_ai.request.model":
                params.setdefault(key[len("gen_ai.request.") :], value)
    if not params:
        return None
    # Langfuse keeps strings and numbers; anything else is stored JSON-stringified.
    return {
        key: value
        if isinstance(value, str)
        or (isinstance(value, int | float) and not isinstance(value, bool))
        else orjson.dumps(value).decode()
        for key, value in params.items()
    }


def io_text(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """Input/output as Langfuse v2 returns it: the raw string as sent."""
    for key in keys:
        value = attributes.get(key)
        if value is not None:
            return value if isinstance(value, str) else orjson.dumps(value).decode()
    return None


def completion_start_ms(value: Any) -> int | None:
    """The SDK double-encodes this timestamp (a JSON string inside a string)."""
    if not isinstance(value, str) or not value:
        return None
    text = value
    if text.startswith('"'):
        try:
            text = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
    try:
        return parse_iso_ms(text)
    except (ValueError, TypeError):
        return None
