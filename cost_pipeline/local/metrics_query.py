"""The JSON ``query`` of GET /api/public/v2/metrics (observations view), validated into SQL parts.

Dimension, measure and filter names come from a fixed map, never from the request text; filter
values are bound parameters. Unsupported names answer 400, like Langfuse's query builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cost_pipeline.local.errors import ApiError, invalid_request
from cost_pipeline.local.timefmt import parse_iso_ms

DIMENSIONS: dict[str, str] = {
    "providedModelName": "o.model",
    "environment": "o.environment",
    "type": "o.type",
    "name": "o.name",
    "level": "o.level",
    "version": "o.version",
    "release": "o.release",
    "traceName": "o.trace_name",
    "isRootObservation": "(o.is_root = 1)",
    "tags": "tag.value",  # exploded: an observation counts fully under each of its tags
}
HIGH_CARDINALITY = frozenset({"id", "traceId", "userId", "sessionId", "parentObservationId"})
MEASURES: dict[str, str] = {
    "count": "1",
    "totalCost": "o.total_cost",
    "inputTokens": "o.input_usage",
    "outputTokens": "o.output_usage",
    "totalTokens": "o.total_usage",
}
AGGREGATIONS = {"sum": "sum", "count": "count", "avg": "avg", "min": "min", "max": "max"}
GRANULARITY = {
    "minute": "%Y-%m-%dT%H:%M:00.000Z",
    "hour": "%Y-%m-%dT%H:00:00.000Z",
    "day": "%Y-%m-%dT00:00:00.000Z",
    "auto": "%Y-%m-%dT00:00:00.000Z",
    "month": "%Y-%m-01T00:00:00.000Z",
}
FILTER_COLUMNS: dict[str, str] = {
    key: value for key, value in DIMENSIONS.items() if key != "tags"
} | {"userId": "o.user_id", "sessionId": "o.session_id", "traceId": "o.trace_id"}
DEFAULT_ROW_LIMIT = 100
MAX_ROW_LIMIT = 1000


@dataclass
class MetricsQuery:
    dimensions: list[str]
    metrics: list[tuple[str, str]]  # (measure, aggregation)
    granularity: str | None
    from_ms: int
    to_ms: int
    filters: list[dict[str, Any]] = field(default_factory=list)
    order_by: list[tuple[str, str]] = field(default_factory=list)
    row_limit: int = DEFAULT_ROW_LIMIT

    @property
    def explodes_tags(self) -> bool:
        return "tags" in self.dimensions


def _bad(message: str) -> ApiError:
    return invalid_request("query", message)


def _named_list(value: Any, key: str, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _bad(f"{what} must be an array of objects")
    return [str(item.get(key)) for item in value]


def _metrics(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise _bad("metrics must be a non-empty array")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("metrics entries must be objects")
        measure, aggregation = item.get("measure"), item.get("aggregation", "sum")
        if measure not in MEASURES:
            raise _bad(f"unsupported measure {measure!r}; supported: {sorted(MEASURES)}")
        if aggregation not in AGGREGATIONS:
            raise _bad(
                f"unsupported aggregation {aggregation!r}; supported: {sorted(AGGREGATIONS)}"
            )
        out.append((measure, aggregation))
    return out


def _granularity(raw: Any) -> str | None:
    if raw is None:
        return None
    granularity = raw.get("granularity") if isinstance(raw, dict) else None
    if granularity not in GRANULARITY:
        raise _bad(f"timeDimension.granularity must be one of {sorted(GRANULARITY)}")
    return granularity


def _order(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("orderBy must be an array")
    out = []
    for item in raw:
        if not isinstance(item, dict) or item.get("direction", "asc") not in ("asc", "desc"):
            raise _bad("orderBy entries need a field and direction asc|desc")
        out.append((str(item.get("field")), item.get("direction", "asc")))
    return out


def parse_metrics_query(text: str | None) -> MetricsQuery:
    if not text:
        raise _bad("the query parameter is required")
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _bad("query must be JSON") from None
    if not isinstance(raw, dict):
        raise _bad("query must be a JSON object")
    if raw.get("view") != "observations":
        raise _bad("serve-local supports view 'observations' only")
    dimensions = _named_list(raw.get("dimensions"), "field", "dimensions")
    for dimension in dimensions:
        if dimension in HIGH_CARDINALITY:
            raise _bad(f"dimension {dimension!r} is high cardinality; use it as a filter")
        if dimension not in DIMENSIONS:
            raise _bad(f"unsupported dimension {dimension!r}; supported: {sorted(DIMENSIONS)}")
    try:
        from_ms = parse_iso_ms(raw.get("fromTimestamp"))
        to_ms = parse_iso_ms(raw.get("toTimestamp"))
    except (ValueError, TypeError):
        raise _bad("fromTimestamp and toTimestamp must be ISO 8601 date-times") from None
    if from_ms >= to_ms:
        raise _bad("fromTimestamp must be before toTimestamp")
    filters = raw.get("filters") or []
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        raise _bad("filters must be an array of objects")
    config = raw.get("config") or {}
    row_limit = config.get("row_limit", DEFAULT_ROW_LIMIT) if isinstance(config, dict) else None
    if not isinstance(row_limit, int) or not 1 <= row_limit <= MAX_ROW_LIMIT:
        raise _bad(f"config.row_limit must be an integer between 1 and {MAX_ROW_LIMIT}")
    return MetricsQuery(
        dimensions=dimensions,
        metrics=_metrics(raw.get("metrics")),
        granularity=_granularity(raw.get("timeDimension")),
        from_ms=from_ms,
        to_ms=to_ms,
        filters=filters,
        order_by=_order(raw.get("orderBy")),
        row_limit=row_limit,
    )
