"""How many generations Langfuse holds per UTC day, from its metrics API.

An independent count to hold the warehouse against: one ``GET /api/public/v2/metrics`` per
range of days (Langfuse Cloud allows that endpoint 100 requests an hour, 100 a day on Hobby, so
never one request per day). The loader's own paging cannot see what it never listed: generations
that arrived after the lookback window, or a listing that ended early.
"""

from __future__ import annotations

from datetime import date, datetime

import httpx
import orjson

from cost_pipeline import settings
from cost_pipeline.langfuse.messages import FailureMessages
from cost_pipeline.langfuse.query import iso_utc

METRICS_PATH = "/api/public/v2/metrics"
COUNT_COLUMN = "count_count"  # Langfuse names metric columns <aggregation>_<measure>


class CountUnavailable(RuntimeError):
    """Langfuse did not give a count; the message says why and what to change."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported  # the server has no v2 metrics API at all


def generations_per_day(
    connection: settings.LangfuseConnection, first: date, end: date, *, timeout_s: float = 30.0
) -> dict[date, int]:
    """Generations with ``first <= startTime < end``, per UTC day; days without any are absent."""
    query = {
        "view": "observations",
        "dimensions": [],
        "metrics": [{"measure": "count", "aggregation": "count"}],
        "filters": [{"column": "type", "operator": "=", "value": "GENERATION", "type": "string"}],
        "timeDimension": {"granularity": "day"},
        "fromTimestamp": iso_utc(datetime(first.year, first.month, first.day)),
        "toTimestamp": iso_utc(datetime(end.year, end.month, end.day)),
        "config": {"row_limit": min(1000, (end - first).days + 1)},
    }
    messages = FailureMessages(connection)  # a key pasted into the URL stays hidden
    try:
        response = httpx.get(
            connection.base_url + METRICS_PATH,
            params={"query": orjson.dumps(query).decode()},
            auth=httpx.BasicAuth(connection.public_key, connection.secret_key),
            timeout=timeout_s,
        )
    except httpx.HTTPError as error:
        raise CountUnavailable(
            f"Langfuse's metrics API did not answer ({type(error).__name__}); "
            "check LANGFUSE_BASE_URL"
        ) from None
    if response.status_code == 404:
        raise CountUnavailable(
            messages.scrub(
                f"{connection.base_url} has no {METRICS_PATH} (self-hosted Langfuse before v4)"
            ),
            unsupported=True,
        )
    if response.status_code == 429:
        raise CountUnavailable(
            "Langfuse rate-limited its metrics API (Cloud: 100 requests an hour, 100 a day on "
            "Hobby): run the check again later"
        )
    if response.status_code in (401, 403):
        raise CountUnavailable(messages.auth(response.status_code, response.content))
    if response.status_code != 200:
        raise CountUnavailable(f"Langfuse's metrics API answered HTTP {response.status_code}")
    return _per_day(response.content)


def _per_day(body: bytes) -> dict[date, int]:
    try:
        rows = orjson.loads(body)["data"]
        counts = {
            date.fromisoformat(row["time_dimension"][:10]): int(row[COUNT_COLUMN]) for row in rows
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise CountUnavailable(
            f"Langfuse's metrics API answered with an unexpected body ({error!r:.120})"
        ) from None
    return counts
