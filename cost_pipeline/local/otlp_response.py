"""The body of an accepted OTLP trace export.

Langfuse answers ``{}`` (its OtelTraceResponse: an empty object means success) and the reference
notes describe no partial answer. When serve-local leaves spans out (values it cannot store),
it says so the way OTLP/HTTP defines it: ExportTraceServiceResponse.partial_success, in the
protobuf JSON mapping (``rejectedSpans`` is an int64, hence a string). Always JSON, like
Langfuse, whatever the request's encoding: the SDKs' exporters look at the status code only.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

# Reasons quoted in error_message; the count covers every span left out.
MAX_REASONS = 5


def export_response(rejected: list[str]) -> dict[str, Any]:
    if not rejected:
        return {}
    message = "; ".join(rejected[:MAX_REASONS])
    if len(rejected) > MAX_REASONS:
        message += f"; and {len(rejected) - MAX_REASONS} more"
    partial = ExportTracePartialSuccess(rejected_spans=len(rejected), error_message=message)
    return MessageToDict(ExportTraceServiceResponse(partial_success=partial))
