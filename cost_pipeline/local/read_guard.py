"""Rate limiting of the read routes, and the 429 Langfuse sends when a client is over it."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from starlette.responses import Response

from cost_pipeline.local.errors import json_response
from cost_pipeline.local.state import ServerState


def _js_date(epoch_s: float) -> str:
    # X-RateLimit-Reset carries JavaScript's Date.toString() in Langfuse.
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def rate_limited(retry_after_s: float, limit: int, remaining: int = 0) -> Response:
    seconds = max(0, math.ceil(retry_after_s))
    reset_at = time.time() + seconds
    body = {
        "message": "Rate limit exceeded",
        "code": "rate_limited",
        "details": {
            "retryAfterSeconds": seconds,
            "limit": limit,
            "remaining": remaining,
            "resetAt": datetime.fromtimestamp(reset_at, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        },
    }
    headers = {
        "Retry-After": str(seconds),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": _js_date(reset_at),
    }
    return json_response(body, 429, headers)


def admit_read(state: ServerState) -> Response | None:
    """Count the arrival; a 429 response when the read budget is spent, else None."""
    state.stats.read_arrival()
    decision = state.faults.rate_limit()
    if decision is None or decision.allowed:
        return None
    state.stats.add("rate_limited")
    return rate_limited(decision.retry_after_s, decision.limit, decision.remaining)
