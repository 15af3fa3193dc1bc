"""OTLP span -> v2 observation object, following Langfuse's OtelIngestionProcessor.

The result uses the API's JSON key names so encoding it is a plain dump. Unset string columns
are "" (not null), as Langfuse's events table returns them; ids are hex; times floored to ms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cost_pipeline.local.config import PROJECT_ID
from cost_pipeline.local.cost import compute_cost, cost_sum, match_model
from cost_pipeline.local.encode import Groups
from cost_pipeline.local.metadata_decode import collect_metadata, json_encoded_values
from cost_pipeline.local.otlp_types import SpanRecord
from cost_pipeline.local.rows import sum_keys_containing
from cost_pipeline.local.span_fields import (
    LEVELS,
    MODEL_KEYS,
    completion_start_ms,
    first_text,
    io_text,
    json_object,
    json_object_exact,
    model_parameters,
    normalize_environment,
    observation_type,
    parse_tags,
)
from cost_pipeline.local.timefmt import iso_ms
from cost_pipeline.local.usage_normalize import normalize_usage_details, usage_from_semconv

_USER_KEYS = (
    "langfuse.user.id",
    "user.id",
    "langfuse.observation.metadata.langfuse_user_id",
    "langfuse.trace.metadata.langfuse_user_id",
    "ai.telemetry.metadata.userId",
)
_SESSION_KEYS = (
    "langfuse.session.id",
    "session.id",
    "gen_ai.conversation.id",
    "langfuse.observation.metadata.langfuse_session_id",
    "langfuse.trace.metadata.langfuse_session_id",
    "ai.telemetry.metadata.sessionId",
)
_TAG_KEYS = (
    "langfuse.trace.tags",
    "langfuse.tags",
    "langfuse.observation.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_tags",
    "ai.telemetry.metadata.tags",
    "tag.tags",
)
_NAME_KEYS = ("gen_ai.tool.name", "logfire.msg", "ai.toolCall.name")
_ENVIRONMENT_KEYS = (
    "langfuse.environment",
    "deployment.environment.name",
    "deployment.environment",
)
_INPUT_KEYS = (
    "langfuse.observation.input",
    "gen_ai.input.messages",
    "gen_ai.prompt",
    "input.value",
)
_OUTPUT_KEYS = (
    "langfuse.observation.output",
    "gen_ai.output.messages",
    "gen_ai.completion",
    "output.value",
)


def _times_ms(span: SpanRecord, ingested_ms: int) -> tuple[int, int]:
    start = span.start_ns // 1_000_000 if span.start_ns else None
    end = span.end_ns // 1_000_000 if span.end_ns else None
    start = start if start is not None else (end if end is not None else ingested_ms)
    return start, end if end is not None else start


def _level(attributes: Mapping[str, Any], status_code: int) -> str:
    declared = attributes.get("langfuse.observation.level")
    if isinstance(declared, str) and declared.upper() in LEVELS:
        return declared.upper()
    return "ERROR" if status_code == 2 else "DEFAULT"


def _usage(attributes: Mapping[str, Any], semconv: bool) -> dict[str, int]:
    declared = attributes.get("langfuse.observation.usage_details")
    if declared is not None:
        return normalize_usage_details(json_object_exact(declared))
    return usage_from_semconv(attributes) if semconv else {}


def _provided_cost(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
    declared = json_object(attributes.get("langfuse.observation.cost_details"))
    if isinstance(declared, dict):
        return declared
    for key in ("gen_ai.usage.cost", "llm.cost.total"):
        value = attributes.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"total": value}
    return None


def _metadata(span: SpanRecord, header_sdk_version: str | None) -> tuple[dict[str, Any], bool]:
    """(observation metadata as Langfuse stores it, any gen_ai.* / llm.* attributes?)."""
    trace, observation, semconv = collect_metadata(
        span.attributes, json_encoded_values(span.scope, header_sdk_version)
    )
    # v4 events path: trace metadata is merged into the observation's; its own keys win.
    merged = {**trace, **observation}
    merged["resourceAttributes"] = span.resource
    merged["scope"] = {
        "name": span.scope.name,
        "version": span.scope.version,
        "attributes": span.scope.attributes,
    }
    if span.scope.name != "langfuse-sdk":
        merged["attributes"] = span.attributes
    return merged, semconv


def map_span(
    span: SpanRecord, *, header_sdk_version: str | None, ingested_ms: int
) -> tuple[Groups, dict[str, Any], int]:
    """(field groups, metadata, start time in epoch ms) of the observation for ``span``."""
    attrs = span.attributes
    get = attrs.get
    resource = span.resource
    start_ms, end_ms = _times_ms(span, ingested_ms)
    is_trace_root = span.parent_span_id is None or _flag(get("langfuse.internal.as_root"))
    # A logical root: the trace's root, or the span the SDK marked as its app's root, which may
    # keep its physical parent (a span of another instrumentation, e.g. a web framework's).
    is_root = is_trace_root or _flag(get("langfuse.internal.is_app_root"))
    kind = observation_type(attrs, span.scope.name, span.scope.version)
    model = first_text(attrs, MODEL_KEYS)
    match = match_model(model)
    metadata, semconv = _metadata(span, header_sdk_version)
    usage = _usage(attrs, semconv)
    cost = compute_cost(match, usage, _provided_cost(attrs))
    completion_ms = completion_start_ms(get("langfuse.observation.completion_start_time"))
    prompt_name = get("langfuse.observation.prompt.name")
    is_generation = kind == "GENERATION"
    ingested_iso = iso_ms(ingested_ms)
    groups: Groups = {
        "core": {
            "id": span.span_id,
            "traceId": span.trace_id,
            "startTime": iso_ms(start_ms),
            "endTime": iso_ms(end_ms),
            "projectId": PROJECT_ID,
            "parentObservationId": None if is_trace_root else span.parent_span_id,
            "type": kind,
        },
        "basic": {
            "name": first_text(attrs, _NAME_KEYS) or span.name,
            "level": _level(attrs, span.status_code),
            "statusMessage": _text(get("langfuse.observation.status_message"))
            or span.status_message,
            "version": _text(get("langfuse.version"))
            or _text(resource.get("service.version"))
            or "",
            "environment": normalize_environment(
                first_text(attrs, _ENVIRONMENT_KEYS) or first_text(resource, _ENVIRONMENT_KEYS)
            ),
            "bookmarked": False,
            "public": get("langfuse.trace.public") is True,
            "userId": first_text(attrs, _USER_KEYS) or "",
            "sessionId": first_text(attrs, _SESSION_KEYS) or "",
            "isRootObservation": is_root,
        },
        "time": {
            "completionStartTime": iso_ms(completion_ms) if completion_ms is not None else None,
            "createdAt": ingested_iso,
            "updatedAt": ingested_iso,
        },
        "model": {
            "model": model,
            "internalModelId": match.model_id if match else None,
            "modelParameters": model_parameters(attrs, semconv),
        },
        "usage": {
            "usageDetails": usage,
            "inputUsage": sum_keys_containing(usage, "input") or 0,
            "outputUsage": sum_keys_containing(usage, "output") or 0,
            "totalUsage": usage.get("total", 0),
            "costDetails": cost.cost_details,
            "inputCost": cost_sum(cost.cost_details, "input"),
            "outputCost": cost_sum(cost.cost_details, "output"),
            "totalCost": cost.total_cost if cost.total_cost is not None else 0,
            "usagePricingTierId": None,
            "usagePricingTierName": None,
        },
        "trace_context": {
            "tags": parse_tags(_first_value(attrs, _TAG_KEYS)),
            "release": _text(get("langfuse.release"))
            or _text(resource.get("langfuse.release"))
            or "",
            "traceName": _text(get("langfuse.trace.name")) or (span.name if is_trace_root else ""),
        },
        "metrics": {
            "latency": (end_ms - start_ms) / 1000,
            "timeToFirstToken": (completion_ms - start_ms) / 1000 if completion_ms else None,
        },
        "prices": {
            "modelId": match.model_id if match else None,
            "inputPrice": match.input_price if match else None,
            "outputPrice": match.output_price if match else None,
            "totalPrice": None,
        },
        "prompt": {
            "promptId": "",
            "promptName": _text(prompt_name) or "" if is_generation else "",
            "promptVersion": get("langfuse.observation.prompt.version")
            if is_generation and prompt_name
            else None,
        },
        "io": {
            "input": io_text(attrs, _INPUT_KEYS),
            "output": io_text(attrs, _OUTPUT_KEYS),
        },
    }
    return groups, metadata, start_ms


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if type(value) is str else str(value)


def _flag(value: Any) -> bool:
    return str(value) in ("true", "True")


def _first_value(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if attributes.get(key) not in (None, ""):
            return attributes[key]
    return None
