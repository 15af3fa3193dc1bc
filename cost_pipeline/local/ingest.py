"""OTLP batch -> stored observations, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cost_pipeline.local.otlp_decode import decode_export, decompress
from cost_pipeline.local.rows import row_from_groups
from cost_pipeline.local.span_mapping import map_span
from cost_pipeline.local.timefmt import now_ms


@dataclass(frozen=True)
class IngestRequest:
    body: bytes
    content_type: str
    content_encoding: str
    sdk_version: str | None


def rows_for_export(
    request: IngestRequest,
    visibility_delay_s: float,
    ingested: int | None = None,
    part: int = 0,
    parts: int = 1,
) -> list[tuple[Any, ...]]:
    """Decode and map the spans first, so one bad span rejects the batch before any write.

    ``part``/``parts`` map every ``parts``-th span only, so worker processes can share a batch.
    """
    body = decompress(request.body, request.content_encoding)
    spans = decode_export(body, request.content_type, part, parts)
    ingested = now_ms() if ingested is None else ingested
    visible_at = ingested + int(visibility_delay_s * 1000)
    rows = []
    for span in spans:
        groups, metadata, start_ms = map_span(
            span, header_sdk_version=request.sdk_version, ingested_ms=ingested
        )
        rows.append(row_from_groups(groups, metadata, start_ms=start_ms, visible_at_ms=visible_at))
    return rows
