"""Query parameters of GET /api/public/v2/observations, validated as Langfuse validates them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

import orjson
from starlette.datastructures import QueryParams

from cost_pipeline.local.encode import FRAGMENT_GROUPS
from cost_pipeline.local.errors import ApiError, invalid_request
from cost_pipeline.local.span_fields import LEVELS, OBSERVATION_TYPES
from cost_pipeline.local.timefmt import iso_ms, parse_iso_ms

DEFAULT_FIELDS = ("core", "basic")
FIELD_GROUPS = frozenset((*FRAGMENT_GROUPS, "metadata")) - {"prices"}
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

# query parameter -> stored column; repeating a parameter means "any of"
SIMPLE_FILTERS: dict[str, str] = {
    "type": "type",
    "name": "name",
    "userId": "user_id",
    "sessionId": "session_id",
    "traceId": "trace_id",
    "level": "level",
    "version": "version",
    "environment": "environment",
}


@dataclass(frozen=True)
class Cursor:
    start_ms: int
    trace_id: str
    id: str

    def encode(self) -> str:
        payload = {
            "lastStartTimeTo": iso_ms(self.start_ms),
            "lastTraceId": self.trace_id,
            "lastId": self.id,
        }
        return base64.b64encode(orjson.dumps(payload)).decode()


@dataclass(frozen=True)
class PageQuery:
    groups: frozenset[str]
    expand_metadata: tuple[str, ...]
    limit: int
    cursor: Cursor | None
    raw_cursor: str | None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parent_ids: tuple[str, ...] = ()
    roots_only: bool | None = None
    from_ms: int | None = None
    to_ms: int | None = None


def invalid_cursor() -> ApiError:
    return ApiError(400, {"message": "Invalid cursor format", "error": "InvalidRequestError"})


def decode_cursor(raw: str) -> Cursor:
    try:
        text = raw.strip()
        padded = text + "=" * (-len(text) % 4)
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        payload = orjson.loads(decoded)
        if not isinstance(payload, dict):
            raise ValueError("cursor is not an object")
        start, trace, last = (payload.get(k) for k in ("lastStartTimeTo", "lastTraceId", "lastId"))
        if not (isinstance(start, str) and isinstance(trace, str) and isinstance(last, str)):
            raise ValueError("cursor misses a key")
        return Cursor(parse_iso_ms(start), trace, last)
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise invalid_cursor() from None


def _groups(params: QueryParams) -> frozenset[str]:
    raw = params.get("fields")
    if raw is None:
        return frozenset(DEFAULT_FIELDS)
    # Unknown groups are dropped silently, like Langfuse; core is always served.
    wanted = {part.strip() for part in raw.split(",")}
    return frozenset((wanted & FIELD_GROUPS) | {"core"})


def _limit(params: QueryParams) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.strip().isdigit() or int(raw) > MAX_LIMIT:
        raise invalid_request("limit", f"limit must be an integer between 0 and {MAX_LIMIT}")
    return int(raw)


def _time(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_iso_ms(raw)
    except ValueError:
        raise invalid_request(name, f"{name} must be an ISO 8601 date-time") from None


def _filters(params: QueryParams) -> dict[str, tuple[str, ...]]:
    filters: dict[str, tuple[str, ...]] = {}
    for param, column in SIMPLE_FILTERS.items():
        values = tuple(params.getlist(param))
        if not values:
            continue
        if param == "type" and not set(values) <= OBSERVATION_TYPES:
            raise invalid_request("type", f"type must be one of {sorted(OBSERVATION_TYPES)}")
        if param == "level" and not set(values) <= LEVELS:
            raise invalid_request("level", f"level must be one of {sorted(LEVELS)}")
        filters[column] = values
    return filters


def _roots_only(params: QueryParams) -> bool | None:
    raw = params.get("isRootObservation")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise invalid_request("isRootObservation", "isRootObservation must be true or false")
    return raw == "true"


def parse_page_query(params: QueryParams) -> PageQuery:
    if params.get("parseIoAsJson", "").lower() == "true":
        raise invalid_request(
            "parseIoAsJson", "parseIoAsJson=true is not supported; IO is returned as raw strings"
        )
    if params.get("filter"):
        raise invalid_request("filter", "the JSON filter parameter is not supported by serve-local")
    raw_cursor = params.get("cursor") or None
    expand = params.get("expandMetadata")
    return PageQuery(
        groups=_groups(params),
        expand_metadata=tuple(k.strip() for k in expand.split(",") if k.strip()) if expand else (),
        limit=_limit(params),
        cursor=decode_cursor(raw_cursor) if raw_cursor else None,
        raw_cursor=raw_cursor,
        filters=_filters(params),
        parent_ids=tuple(params.getlist("parentObservationId")),
        roots_only=_roots_only(params),
        from_ms=_time(params, "fromStartTime"),
        to_ms=_time(params, "toStartTime"),
    )
