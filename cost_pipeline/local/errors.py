"""Error responses in Langfuse's shapes (reference notes section 4)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class ApiError(Exception):
    """Raised by request handling code; rendered as a Langfuse-shaped JSON error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def invalid_request(param: str, message: str) -> ApiError:
    """400 like Langfuse's zod validation: a list of issues naming the parameter."""
    issue = {"code": "custom", "path": [param], "message": message}
    return ApiError(400, {"message": "Invalid request data", "error": [issue]})


def unauthorized(message: str) -> ApiError:
    return ApiError(401, {"message": message})


def not_found(path: str) -> ApiError:
    return ApiError(404, {"message": f"Route not found: {path}", "error": "NotFoundError"})


def internal_error(detail: str) -> ApiError:
    return ApiError(500, {"message": "Internal Server Error", "error": detail})


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(error.body, error.status, headers)
