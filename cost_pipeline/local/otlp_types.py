"""Span records decoded from an OTLP export, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
