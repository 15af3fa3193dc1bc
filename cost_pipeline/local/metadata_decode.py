"""Observation metadata from span attributes, decoded per SDK major version.

Langfuse SDK v5 JSON-encodes every metadata value (``"\\"qa\\""``, ``"3"``, ``"true"``); v4 sends
strings raw, ints and bools as native OTLP values, and JSON-encodes only floats, lists and
dicts. Decoding v4 strings as JSON would turn the string ``"7"`` into the number 7, so v4 values
are decoded only when they are a JSON object or array (what v4 produces for dicts and lists).
The version comes from the span's instrumentation scope (``langfuse-sdk`` + version), else from
the ``x-langfuse-sdk-version`` request header; unknown senders get the v4 rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from cost_pipeline.local.otlp_types import Scope

_OBSERVATION_PREFIXES = ("langfuse.observation.metadata.", "langfuse.metadata.")
_TRACE_PREFIX = "langfuse.trace.metadata."
_OBSERVATION_WHOLE = ("langfuse.observation.metadata", "langfuse.metadata")
_METADATA_PREFIXES = (_TRACE_PREFIX, *_OBSERVATION_PREFIXES)
_TRACE_WHOLE = "langfuse.trace.metadata"
_WHOLE_KEYS = frozenset((*_OBSERVATION_WHOLE, _TRACE_WHOLE))


def sdk_major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.strip().lstrip("v").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def json_encoded_values(scope: Scope, header_sdk_version: str | None) -> bool:
    """True when metadata values were JSON-encoded by the sender (Langfuse SDK >= 5)."""
    version = scope.version if scope.name == "langfuse-sdk" else header_sdk_version
    return _v5_or_later(version)


@lru_cache(maxsize=256)
def _v5_or_later(version: str | None) -> bool:
    major = sdk_major(version)
    return major is not None and major >= 5


def decode_value(value: Any, json_encoded: bool) -> Any:
    if not isinstance(value, str):
        return value
    if json_encoded or value[:1] in ("{", "["):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        if json_encoded or isinstance(decoded, dict | list):
            return decoded
    return value


def _merge_whole(target: dict[str, Any], raw: Any) -> None:
    """A metadata attribute without a key suffix: an object merges, anything else is kept."""
    value = raw
    if isinstance(raw, str):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = raw
    if isinstance(value, dict):
        target.update(value)
    elif value is not None:
        target["metadata"] = value


def collect_metadata(
    attributes: Mapping[str, Any], json_encoded: bool
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(trace metadata, observation metadata, any GenAI semantic-convention keys?) of a span.

    One pass over the attributes: the third value lets the caller skip the gen_ai.* / llm.*
    scans entirely for spans from the Langfuse SDK, which never sends those keys.
    """
    trace: dict[str, Any] = {}
    observation: dict[str, Any] = {}
    semconv = False
    for key, value in attributes.items():
        if key.startswith(_METADATA_PREFIXES):
            if key.startswith(_TRACE_PREFIX):
                trace[key[len(_TRACE_PREFIX) :]] = decode_value(value, json_encoded)
            else:
                observation[key.split(".metadata.", 1)[1]] = decode_value(value, json_encoded)
        elif key in _WHOLE_KEYS:
            _merge_whole(trace if key == _TRACE_WHOLE else observation, value)
        elif not semconv and key.startswith(("gen_ai.", "llm.")):
            semconv = True
    return trace, observation, semconv
