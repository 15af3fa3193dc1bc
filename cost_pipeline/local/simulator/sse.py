"""Server-sent events framing shared by both providers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import orjson
from starlette.responses import StreamingResponse


def data_line(payload: dict) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def event_lines(event: str, payload: dict) -> bytes:
    # anthropic 2.x silently skips events without an `event:` name, so always send it.
    return b"event: " + event.encode() + b"\n" + data_line(payload)


def stream_response(frames: Iterable[bytes], headers: dict[str, str]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for frame in frames:
            yield frame

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", **headers},
    )
