"""Build v2-shaped observation JSON and page bytes for tests (our own fixtures, not captures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson


def iso(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def observation(obs_id: str, start: datetime, **overrides: Any) -> dict[str, Any]:
    """A generation as GET /api/public/v2/observations returns it with the loader's fields."""
    end = start + timedelta(milliseconds=850)
    row: dict[str, Any] = {
        "id": obs_id,
        "traceId": f"trace-{obs_id}",
        "startTime": iso(start),
        "endTime": iso(end),
        "projectId": "test-project",
        "parentObservationId": f"span-{obs_id}",
        "type": "GENERATION",
        "name": "chat",
        "level": "DEFAULT",
        "statusMessage": "",
        "version": "",
        "environment": "production",
        "bookmarked": False,
        "public": False,
        "userId": "user-1",
        "sessionId": "session-1",
        "isRootObservation": False,
        "completionStartTime": iso(start + timedelta(milliseconds=200)),
        "createdAt": iso(end),
        "updatedAt": iso(end),
        "metadata": {"feature": "search", "team": "growth"},
        "model": "gpt-4o",
        "internalModelId": "m-gpt-4o",
        "modelParameters": {"temperature": 0.2},
        "usageDetails": {"input": 100, "output": 20, "input_cached_tokens": 30, "total": 150},
        "inputUsage": 130,
        "outputUsage": 20,
        "totalUsage": 150,
        "costDetails": {"input": 0.00025, "output": 0.0002, "total": 0.00045},
        "inputCost": 0.00025,
        "outputCost": 0.0002,
        "totalCost": 0.00045,
        "latency": 0.85,
        "timeToFirstToken": 0.2,
        "modelId": "m-gpt-4o",
        "inputPrice": "0.0000025",
        "outputPrice": "0.00001",
        "totalPrice": None,
        "tags": ["feature:search", "team:growth"],
        "release": "v1",
        "traceName": "search-request",
    }
    row.update(overrides)
    return row


def page_bytes(observations: list[Any], cursor: str | None = None) -> bytes:
    return orjson.dumps({"data": observations, "meta": {"cursor": cursor} if cursor else {}})


def ids_of(pages: list[bytes]) -> list[str]:
    return [row["id"] for body in pages for row in orjson.loads(body)["data"]]
