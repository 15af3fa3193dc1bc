"""Decode an OTLP/HTTP trace export (protobuf or JSON, gzip or plain) into plain span records.

Everything is validated before anything is stored: a malformed body, a bad id or a collection
that is not a list raises ``OtlpError`` and the whole batch is rejected, as Langfuse does.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024


class OtlpError(ValueError):
    """The request body is not a valid OTLP trace export."""


@dataclass(slots=True)
class Scope:
    name: str
    version: str
    attributes: dict[str, Any]


@dataclass(slots=True)
class SpanRecord:
    trace_id: str  # 32 lower-case hex chars
    span_id: str  # 16 lower-case hex chars
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: Scope


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
        return _decode_json(body)
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


# --- OTLP/JSON ----------------------------------------------------------------------------

_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _field(obj: dict[str, Any], camel: str, snake: str, default: Any = None) -> Any:
    if camel in obj:
        return obj[camel]
    return obj.get(snake, default)


def _list(obj: dict[str, Any], camel: str, snake: str, what: str) -> list[Any]:
    value = _field(obj, camel, snake, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpError(f"{what} must be an array")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OtlpError(f"{what} must be an object")
    return value


def _json_value(value: Any) -> Any:
    if not isinstance(value, dict):
        raise OtlpError("attribute value must be an AnyValue object")
    for key, item in value.items():
        if key in ("stringValue", "string_value", "boolValue", "bool_value"):
            return item
        if key in ("intValue", "int_value"):
            return _json_int(item, "intValue")
        if key in ("doubleValue", "double_value"):
            return float(item)
        if key in ("arrayValue", "array_value"):
            return [_json_value(v) for v in _list(_object(item, key), "values", "values", key)]
        if key in ("kvlistValue", "kvlist_value"):
            return _json_attributes(_list(_object(item, key), "values", "values", key))
        if key in ("bytesValue", "bytes_value"):
            return item
    return None


def _json_attributes(items: Any) -> dict[str, Any]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise OtlpError("attributes must be an array")
    out: dict[str, Any] = {}
    for item in items:
        entry = _object(item, "attribute")
        key = entry.get("key")
        if not isinstance(key, str):
            raise OtlpError("attribute key must be a string")
        out[key] = _json_value(entry.get("value", {}))
    return out


def _json_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise OtlpError(f"{what} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise OtlpError(f"{what} must be an integer, got {value!r}") from None


def _json_id(value: Any, size: int, what: str, *, optional: bool = False) -> str | None:
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str) or len(value) != size * 2:
        raise OtlpError(f"{what} must be a {size * 2}-character hex string")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise OtlpError(f"{what} must be a {size * 2}-character hex string") from None
    return value.lower()


def _json_status(span: dict[str, Any]) -> tuple[int, str]:
    status = _object(span.get("status"), "status")
    code = status.get("code", 0)
    if isinstance(code, str):
        code = _STATUS_NAMES.get(code, _json_int(code, "status.code") if code.isdigit() else 0)
    return _json_int(code, "status.code"), str(status.get("message") or "")


def _decode_json(body: bytes) -> list[SpanRecord]:
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise OtlpError(f"JSON body does not parse: {exc}") from None
    document = _object(document, "request body")
    spans: list[SpanRecord] = []
    for rs in _list(document, "resourceSpans", "resource_spans", "resourceSpans"):
        rs_obj = _object(rs, "resourceSpans[]")
        resource = _json_attributes(_object(rs_obj.get("resource"), "resource").get("attributes"))
        for ss in _list(rs_obj, "scopeSpans", "scope_spans", "scopeSpans"):
            ss_obj = _object(ss, "scopeSpans[]")
            raw_scope = _object(ss_obj.get("scope"), "scope")
            scope = Scope(
                str(raw_scope.get("name") or ""),
                str(raw_scope.get("version") or ""),
                _json_attributes(raw_scope.get("attributes")),
            )
            for raw_span in _list(ss_obj, "spans", "spans", "spans"):
                span = _object(raw_span, "span")
                code, message = _json_status(span)
                spans.append(
                    SpanRecord(
                        trace_id=_json_id(_field(span, "traceId", "trace_id"), 16, "traceId") or "",
                        span_id=_json_id(_field(span, "spanId", "span_id"), 8, "spanId") or "",
                        parent_span_id=_json_id(
                            _field(span, "parentSpanId", "parent_span_id"),
                            8,
                            "parentSpanId",
                            optional=True,
                        ),
                        name=str(span.get("name") or ""),
                        start_ns=_json_int(
                            _field(span, "startTimeUnixNano", "start_time_unix_nano", 0),
                            "startTimeUnixNano",
                        ),
                        end_ns=_json_int(
                            _field(span, "endTimeUnixNano", "end_time_unix_nano", 0),
                            "endTimeUnixNano",
                        ),
                        status_code=code,
                        status_message=message,
                        attributes=_json_attributes(span.get("attributes")),
                        resource=resource,
                        scope=scope,
                    )
                )
    return spans
