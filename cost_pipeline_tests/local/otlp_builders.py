"""Build OTLP trace exports (protobuf and OTLP/JSON) for serve-local tests, and post them."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

OTLP_PATH = "/api/public/otel/v1/traces"
NS = 1_000_000_000


@dataclass
class OtlpSpan:
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    start_ns: int = 1_795_478_400 * NS  # 2026-11-24T00:00:00Z
    end_ns: int | None = None
    trace_id: bytes = field(default_factory=lambda: os.urandom(16))
    span_id: bytes = field(default_factory=lambda: os.urandom(8))
    parent_span_id: bytes = b""
    status_code: int = 0
    status_message: str = ""

    @property
    def id_hex(self) -> str:
        return self.span_id.hex()

    @property
    def trace_hex(self) -> str:
        return self.trace_id.hex()


def _any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_any_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def _key_values(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_any_value(v)) for k, v in attributes.items()]


def export_request(
    spans: list[OtlpSpan],
    *,
    scope_name: str = "langfuse-sdk",
    scope_version: str = "5.0.4",
    resource: dict[str, Any] | None = None,
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        _key_values(resource or {"service.name": "tests", "telemetry.sdk.language": "python"})
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = scope_name, scope_version
    scope_spans.scope.attributes.extend(_key_values({"public_key": "pk-lf-local"}))
    for span in spans:
        scope_spans.spans.append(
            Span(
                trace_id=span.trace_id,
                span_id=span.span_id,
                parent_span_id=span.parent_span_id,
                name=span.name,
                kind=1,
                start_time_unix_nano=span.start_ns,
                end_time_unix_nano=span.end_ns if span.end_ns is not None else span.start_ns,
                attributes=_key_values(span.attributes),
                status=Status(code=span.status_code, message=span.status_message),
            )
        )
    return request


def protobuf_body(spans: list[OtlpSpan], **kwargs: Any) -> bytes:
    return export_request(spans, **kwargs).SerializeToString()


def _json_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_json_value(v) for v in value]}}
    return {"stringValue": str(value)}


def json_body(spans: list[OtlpSpan], scope_version: str = "5.0.4") -> dict[str, Any]:
    """OTLP/JSON: camelCase keys, hex ids, nanosecond times as strings (per the OTLP spec)."""
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "tests"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "langfuse-sdk", "version": scope_version},
                        "spans": [
                            {
                                "traceId": s.trace_hex,
                                "spanId": s.id_hex,
                                "parentSpanId": s.parent_span_id.hex(),
                                "name": s.name,
                                "kind": 1,
                                "startTimeUnixNano": str(s.start_ns),
                                "endTimeUnixNano": str(s.end_ns or s.start_ns),
                                "attributes": [
                                    {"key": k, "value": _json_value(v)}
                                    for k, v in s.attributes.items()
                                ],
                                "status": {"code": s.status_code, "message": s.status_message},
                            }
                            for s in spans
                        ],
                    }
                ],
            }
        ]
    }


def post_protobuf(
    api: httpx.Client,
    spans: list[OtlpSpan],
    *,
    compress: bool = False,
    sdk_version: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    body = protobuf_body(spans, **kwargs)
    headers = {"content-type": "application/x-protobuf"}
    if compress:
        body = gzip.compress(body)
        headers["content-encoding"] = "gzip"
    if sdk_version:
        headers["x-langfuse-sdk-version"] = sdk_version
    return api.post(OTLP_PATH, content=body, headers=headers)


ALL_GROUPS = "core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context"


def read_trace(
    api: httpx.Client, trace_id: str, fields: str = ALL_GROUPS, expand: str = ""
) -> dict[str, dict[str, Any]]:
    """Every observation of one trace through the v2 API, by id."""
    params = {"traceId": trace_id, "fields": fields, "limit": 1000, "expandMetadata": expand}
    response = api.get("/api/public/v2/observations", params=params)
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["data"]}


def generation(name: str = "llm-call", **attributes: Any) -> OtlpSpan:
    """A generation span with a model and usage, plus any extra attributes."""
    base = {
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "gpt-4o-mini",
        "langfuse.observation.usage_details": '{"input": 100, "output": 20}',
    }
    return OtlpSpan(name=name, attributes=base | attributes)
