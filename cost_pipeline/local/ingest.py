"""OTLP batch -> stored observations: a malformed export is refused whole, an odd span alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cost_pipeline.local.otlp_decode import decode_export, decompress
from cost_pipeline.local.otlp_types import SpanRecord
from cost_pipeline.local.rows import row_from_groups
from cost_pipeline.local.span_mapping import map_span
from cost_pipeline.local.timefmt import now_ms

# start_ms is an SQLite integer (signed 64-bit); OTLP/JSON times are unbounded decimal strings.
_MS_RANGE = range(-(2**63), 2**63)


@dataclass(frozen=True)
class IngestRequest:
    body: bytes
    content_type: str
    content_encoding: str
    sdk_version: str | None


@dataclass
class MappedExport:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why each span left out was left out

    def extend(self, other: MappedExport) -> None:
        self.rows.extend(other.rows)
        self.rejected.extend(other.rejected)


def rows_for_export(
    request: IngestRequest,
    visibility_delay_s: float,
    ingested: int | None = None,
    part: int = 0,
    parts: int = 1,
) -> MappedExport:
    """Decode and map the spans before any write: a body that is not a valid export (bad ids,
    wrong collections) raises ``OtlpError`` and nothing is stored, as in Langfuse. A span whose
    values cannot be stored is left out and named in ``rejected``; the others are stored, since
    Langfuse processes each span of an export on its own.

    ``part``/``parts`` map every ``parts``-th span only, so worker processes can share a batch.
    """
    body = decompress(request.body, request.content_encoding)
    spans = decode_export(body, request.content_type, part, parts)
    ingested = now_ms() if ingested is None else ingested
    visible_at = ingested + int(visibility_delay_s * 1000)
    mapped = MappedExport()
    for span in spans:
        try:
            mapped.rows.append(_row(span, request.sdk_version, ingested, visible_at))
        except (ArithmeticError, TypeError, ValueError) as error:
            mapped.rejected.append(f"span {span.span_id}: {error}")
    return mapped


def _row(span: SpanRecord, sdk_version: str | None, ingested: int, visible_at: int) -> tuple:
    groups, metadata, start_ms = map_span(
        span, header_sdk_version=sdk_version, ingested_ms=ingested
    )
    if start_ms not in _MS_RANGE:
        raise OverflowError(f"start time {span.start_ns} ns is beyond any storable date")
    return row_from_groups(groups, metadata, start_ms=start_ms, visible_at_ms=visible_at)
