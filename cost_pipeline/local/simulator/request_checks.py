"""What every simulated endpoint does before answering: auth, JSON body, faults, latency."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cost_pipeline.local.simulator.errors import (
    RANDOM_ERROR_STATUSES,
    Provider,
    error_response,
)
from cost_pipeline.local.simulator.knobs import SimulatorKnobs

# Per-request fault, for tests: "no-usage" or "status-<code>" (e.g. status-429, status-529);
# an endpoint may accept more (the Responses API's "response-failed").
FAULT_HEADER = "x-simulator-fault"


@dataclass(frozen=True)
class Accepted:
    body: dict[str, Any]
    no_usage: bool
    fault: str = ""  # the header's fault when it is one the endpoint answers itself


def _has_credentials(request: Request) -> bool:
    # anthropic 2.x sends Bearer, older SDKs x-api-key; OpenAI always Bearer.
    authorization = request.headers.get("authorization", "")
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    return bool(bearer or request.headers.get("x-api-key", "").strip())


async def accept(
    request: Request, provider: Provider, knobs: SimulatorKnobs, faults: tuple[str, ...] = ()
) -> Accepted | JSONResponse:
    """The parsed body, or the error response the provider would send instead."""
    if not _has_credentials(request):
        return error_response(provider, 401, "Missing API key (Bearer or x-api-key).")
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error_response(provider, 400, "Request body is not valid JSON.")
    if not isinstance(body, dict):
        return error_response(provider, 400, "Request body must be a JSON object.")
    if knobs.latency_ms > 0:
        await asyncio.sleep(knobs.latency_ms / 1000)
    fault = request.headers.get(FAULT_HEADER, "").strip().lower()
    if fault.startswith("status-"):
        try:
            status = int(fault.removeprefix("status-"))
        except ValueError:
            return error_response(provider, 400, f"Unknown {FAULT_HEADER}: {fault!r}.")
        return error_response(provider, status)
    if fault not in ("", "no-usage", *faults):
        return error_response(provider, 400, f"Unknown {FAULT_HEADER}: {fault!r}.")
    if knobs.should_fail():
        statuses = RANDOM_ERROR_STATUSES[provider]
        return error_response(provider, statuses[int(knobs.roll() * len(statuses))])
    return Accepted(body=body, no_usage=fault == "no-usage", fault=fault)
