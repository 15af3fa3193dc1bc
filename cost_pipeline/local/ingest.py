"""OTLP batch -> stored observations, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cost_pipeline.local.otlp_decode import decode_export, decompress
from cost_pipeline.local.rows import row_from_groups
from cost_pipeline.local.span_mapping import map_span
from cost_pipeline.local.store import Store
from cost_pipeline.local.timefmt import now_ms


@dataclass(frozen=True)
class IngestRequest:
    body: bytes
    content_type: str
    content_encoding: str
    sdk_version: str | None


def rows_for_export(request: IngestRequest, visibility_delay_s: float) -> list[tuple[Any, ...]]:
    """Decode and map every span first, so one bad span rejects the batch before any write."""
    spans = decode_export(decompress(request.body, request.content_encoding), request.content_type)
    ingested = now_ms()
    visible_at = ingested + int(visibility_delay_s * 1000)
    rows = []
    for span in spans:
        groups, metadata, start_ms = map_span(
            span, header_sdk_version=request.sdk_version, ingested_ms=ingested
        )
        rows.append(row_from_groups(groups, metadata, start_ms=start_ms, visible_at_ms=visible_at))
    return rows


def ingest_export(store: Store, request: IngestRequest, visibility_delay_s: float) -> int:
    """Store one export in one transaction (committed before the caller answers 200)."""
    rows = rows_for_export(request, visibility_delay_s)
    store.write(rows)
    return len(rows)
