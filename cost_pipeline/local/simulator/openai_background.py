"""Background Responses (``background: true``): answered ``queued``, finished on later polls.

The answer is worked out at create time, exactly as without ``background`` (same tokens, usage,
prompt cache), and kept; the create returns it ``queued`` without output or usage.
``GET /openai/v1/responses/{id}`` then returns it ``in_progress`` on the first retrieve and
finished (``completed``, ``incomplete`` or ``failed``, with usage and ``completed_at``) on every
later one, so a client polls deterministically. ``POST .../{id}/cancel`` before it finished
returns it ``cancelled`` without output or usage (later retrieves too); on a finished one it
returns it unchanged. ``DELETE .../{id}`` forgets it. Unknown ids (plain responses are not
kept) answer 404 in OpenAI's error shape.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cost_pipeline.local.simulator.errors import request_id

# serve-local runs for days: keep the newest ones only, as a client would have polled by then.
MAX_KEPT = 10_000
_UNFINISHED = {"output": [], "usage": None, "error": None, "incomplete_details": None}


def _not_found(response_id: str) -> JSONResponse:
    error = {
        "message": f"Response with id '{response_id}' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return JSONResponse({"error": error}, status_code=404, headers=_headers())


def _headers() -> dict[str, str]:
    return {"x-request-id": request_id("openai")}


class BackgroundResponses:
    def __init__(self) -> None:
        self._final: OrderedDict[str, dict[str, Any]] = OrderedDict()  # id -> finished response
        self._polls: dict[str, int] = {}

    def queue(self, final: dict[str, Any]) -> JSONResponse:
        """The create's answer: ``final`` is kept for the retrieves to come."""
        response_id = final["id"]
        self._final[response_id] = {**final, "background": True}
        self._polls[response_id] = 0
        while len(self._final) > MAX_KEPT:
            dropped, _ = self._final.popitem(last=False)
            self._polls.pop(dropped, None)
        return JSONResponse(self._unfinished(response_id, "queued"), headers=_headers())

    def _unfinished(self, response_id: str, status: str) -> dict[str, Any]:
        return {**self._final[response_id], **_UNFINISHED, "status": status}

    async def retrieve(self, request: Request) -> JSONResponse:
        response_id = request.path_params["response_id"]
        if response_id not in self._final:
            return _not_found(response_id)
        self._polls[response_id] += 1
        if self._polls[response_id] == 1:
            return JSONResponse(self._unfinished(response_id, "in_progress"), headers=_headers())
        return JSONResponse(self._finished(response_id), headers=_headers())

    async def delete(self, request: Request) -> JSONResponse:
        response_id = request.path_params["response_id"]
        if self._final.pop(response_id, None) is None:
            return _not_found(response_id)
        self._polls.pop(response_id, None)
        body = {"id": response_id, "object": "response", "deleted": True}
        return JSONResponse(body, headers=_headers())

    async def cancel(self, request: Request) -> JSONResponse:
        response_id = request.path_params["response_id"]
        if response_id not in self._final:
            return _not_found(response_id)
        if self._polls[response_id] < 2:  # not finished yet: it never will be
            cancelled = self._unfinished(response_id, "cancelled")
            self._final[response_id] = {**cancelled, "completed_at": None}
            self._polls[response_id] = 2
        return JSONResponse(self._finished(response_id), headers=_headers())

    def _finished(self, response_id: str) -> dict[str, Any]:
        final = self._final[response_id]
        if final["status"] != "cancelled" and final.get("completed_at") is None:
            final["completed_at"] = int(time.time())  # when first seen finished
        return final
