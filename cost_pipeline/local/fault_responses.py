"""Responses that misbehave on purpose: a cut connection, a cut body, a body that is not JSON."""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cost_pipeline.local.errors import internal_error, json_response
from cost_pipeline.local.faults import Fault
from cost_pipeline.local.read_guard import rate_limited

INVALID_JSON_BODY = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
_UNFINISHED = "ASGI callable returned without completing response."


class DroppedResponse(Response):
    """Headers promise the whole body; part of it is sent, then the connection is closed."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, 200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        # Returning now makes uvicorn close the socket: the client sees a short body.


class _DropNoiseFilter(logging.Filter):
    """uvicorn logs our deliberate drops as errors; they are expected, so keep logs clean."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _UNFINISHED


def quiet_deliberate_drops() -> None:
    logging.getLogger("uvicorn.error").addFilter(_DropNoiseFilter())


def status_fault(fault: Fault, limit: int) -> Response:
    if fault.status == 429:
        return rate_limited(fault.retry_after if fault.retry_after is not None else 1, limit)
    if fault.status >= 500:
        response = json_response(internal_error("injected fault").body, fault.status)
    else:
        response = json_response(
            {"message": "Injected error", "error": "InjectedFault"}, fault.status
        )
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(int(fault.retry_after))
    return response


def body_fault(fault: Fault, body: bytes) -> Response | None:
    if fault.kind == "drop":
        return DroppedResponse(body)
    if fault.kind == "truncate":
        return Response(body[: max(1, len(body) // 2)], 200, media_type="application/json")
    if fault.kind == "invalid_json":
        return Response(INVALID_JSON_BODY, 200, media_type="application/json")
    return None
