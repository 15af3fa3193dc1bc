"""Errors in each provider's JSON shape, so the real SDKs raise their typed exceptions.

OpenAI: ``{"error": {"message", "type", "param", "code"}}``; Anthropic:
``{"type": "error", "error": {"type", "message"}, "request_id"}`` (529 = overloaded).
"""

from __future__ import annotations

import uuid
from typing import Literal

from starlette.responses import JSONResponse

Provider = Literal["openai", "anthropic"]

_OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_DEFAULT_MESSAGES = {
    429: "Rate limit reached (simulated).",
    500: "The server had an error while processing your request (simulated).",
    503: "The service is temporarily unavailable (simulated).",
    529: "Overloaded (simulated).",
}

# Statuses drawn when the error_rate knob fires, per provider.
RANDOM_ERROR_STATUSES: dict[Provider, tuple[int, ...]] = {
    "openai": (429, 500),
    "anthropic": (429, 500, 529),
}


def request_id(provider: Provider) -> str:
    prefix = "req_" if provider == "anthropic" else "req-"
    return prefix + uuid.uuid4().hex[:24]


def error_response(provider: Provider, status: int, message: str | None = None) -> JSONResponse:
    message = message or _DEFAULT_MESSAGES.get(status, f"Simulated error {status}.")
    rid = request_id(provider)
    headers = {"request-id" if provider == "anthropic" else "x-request-id": rid}
    if status == 429:
        # The SDKs honour these before retrying; keep retries fast in simulations.
        headers["retry-after"] = "1"
        headers["retry-after-ms"] = "100"
    if provider == "openai":
        error_type, code = _OPENAI_TYPES.get(status, ("server_error", None))
        body: dict = {
            "error": {"message": message, "type": error_type, "param": None, "code": code}
        }
    else:
        error_type = _ANTHROPIC_TYPES.get(status, "api_error")
        body = {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": rid,
        }
    return JSONResponse(body, status_code=status, headers=headers)
