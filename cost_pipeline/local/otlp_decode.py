"""Decode an OTLP/HTTP trace export (protobuf or JSON, gzip or plain) into plain span records.

Everything is validated before anything is stored: a malformed body, a bad id or a collection
that is not a list raises ``OtlpError`` and the whole batch is rejected, as Langfuse does.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from cost_pipeline.local.otlp_json import decode_json
from cost_pipeline.local.otlp_types import OtlpError, Scope, SpanRecord

MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024


def decompress(body: bytes, content_encoding: str) -> bytes:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            # Bounded: a small gzip bomb must not exhaust memory.
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = decoder.decompress(body, MAX_DECOMPRESSED_BYTES)
            if decoder.unconsumed_tail:
                raise OtlpError("decompressed body is larger than 256 MiB")
            if not decoder.eof:
                raise OtlpError("gzip body is truncated")
            return data
        if encoding == "deflate":
            return zlib.decompress(body)
    except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise OtlpError(f"invalid {encoding} body: {exc}") from None
    raise OtlpError(f"unsupported Content-Encoding {content_encoding!r}")


def is_protobuf(content_type: str) -> bool:
    kind = content_type.lower()
    return "application/x-protobuf" in kind or "application/protobuf" in kind


def decode_export(
    body: bytes, content_type: str, part: int = 0, parts: int = 1
) -> list[SpanRecord]:
    """Every span (or, for protobuf, every ``parts``-th from ``part``; all are validated)."""
    kind = content_type.lower()
    if is_protobuf(kind):
        return _decode_protobuf(body, part, parts)
    if "application/json" in kind:
        return decode_json(body)
    raise OtlpError(f"invalid content type {content_type!r}")


# --- protobuf -----------------------------------------------------------------------------


def _pb_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "double_value":
        return value.double_value
    if kind == "array_value":
        return [_pb_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: _pb_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def _pb_attributes(attributes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in attributes:
        value = item.value
        # Nearly every Langfuse attribute is a string: skip the generic dispatch for those.
        if value.WhichOneof("value") == "string_value":
            out[item.key] = value.string_value
        else:
            out[item.key] = _pb_value(value)
    return out


def _pb_id(raw: bytes, size: int, what: str, *, optional: bool = False) -> str | None:
    if not raw and optional:
        return None
    if len(raw) != size:
        raise OtlpError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw.hex()


def _decode_protobuf(body: bytes, part: int, parts: int) -> list[SpanRecord]:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise OtlpError(f"protobuf body does not parse: {exc}") from None
    spans: list[SpanRecord] = []
    index = -1
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            pb_scope = scope_spans.scope
            scope = Scope(pb_scope.name, pb_scope.version, _pb_attributes(pb_scope.attributes))
            for span in scope_spans.spans:
                index += 1
                if index % parts != part:
                    # Another worker maps this span; the ids are still checked here, so any
                    # part alone rejects a batch with a bad id.
                    _pb_id(span.trace_id, 16, "traceId")
                    _pb_id(span.span_id, 8, "spanId")
                    _pb_id(span.parent_span_id, 8, "parentSpanId", optional=True)
                    continue
                spans.append(
                    SpanRecord(
                        trace_id=_pb_id(span.trace_id, 16, "traceId") or "",
                        span_id=_pb_id(span.span_id, 8, "spanId") or "",
                        parent_span_id=_pb_id(
                            span.parent_span_id, 8, "parentSpanId", optional=True
                        ),
                        name=span.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        status_code=span.status.code,
                        status_message=span.status.message,
                        attributes=_pb_attributes(span.attributes),
                        resource=resource,
                        scope=scope,
                    )
                )
    return spans
