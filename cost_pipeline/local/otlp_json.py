"""OTLP/JSON trace exports (camelCase keys, hex ids, int64 as strings) -> span records."""

from __future__ import annotations

from typing import Any

import orjson

from cost_pipeline.local.otlp_types import OtlpError, Scope, SpanRecord

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


def decode_json(body: bytes) -> list[SpanRecord]:
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
