"""A tiny real HTTP server for GET /api/public/v2/observations whose page envelope a test writes.

serve-local always sends `{"data":[...],"meta":{...}}`; reliability tests for other envelopes
(meta missing, extra keys, other layouts) need bytes it never produces. The rows and paging are
honest (window filter, newest first, `limit`, a cursor per offset); only ``envelope`` decides
how each page is written, given its cursor, rows and meta and how often it was asked for.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from cost_pipeline_tests.warehouse.observations import iso

# (request cursor, rows, meta, how often this page was asked for: 1 the first time) -> body
Envelope = Callable[[str | None, list[dict[str, Any]], dict[str, Any], int], bytes]
# Ports this project's tests may listen on when they cannot use serve-local.
_PORTS = range(4350, 4400)


def usual_envelope(
    _cursor: str | None, rows: list[dict[str, Any]], meta: dict[str, Any], _asked: int
) -> bytes:
    return orjson.dumps({"data": rows, "meta": meta})


class PageServer:
    public_key = "pk-lf-envelope"
    secret_key = "sk-lf-envelope"

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=lambda row: row["startTime"], reverse=True)
        self.envelope: Envelope = usual_envelope
        self.asked: Counter[str | None] = Counter()  # requests per cursor (None: first page)
        self._lock = threading.Lock()
        self.base_url = ""

    def truth(self, window_from: datetime, window_to: datetime) -> list[str]:
        """Every id the server holds in the window, sorted (as serve-local's /admin/truth)."""
        return sorted(row["id"] for row in self._in_window(iso(window_from), iso(window_to)))

    def page(self, query: dict[str, list[str]]) -> bytes:
        cursor = query.get("cursor", [None])[0]
        offset = int(cursor.removeprefix("offset-")) if cursor else 0
        limit = int(query["limit"][0])
        rows = self._in_window(query["fromStartTime"][0], query["toStartTime"][0])
        more = offset + limit < len(rows)
        meta = {"cursor": f"offset-{offset + limit}"} if more else {}
        with self._lock:
            self.asked[cursor] += 1
            asked = self.asked[cursor]
        return self.envelope(cursor, rows[offset : offset + limit], meta, asked)

    def _in_window(self, window_from: str, window_to: str) -> list[dict[str, Any]]:
        # Same-format UTC ISO strings order like the times they name.
        return [row for row in self.rows if window_from <= row["startTime"] < window_to]


def _handler(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/api/public/v2/observations":
                self.send_error(404)
                return
            body = server.page(parse_qs(url.query))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # keep test output clean

    return Handler


def _bind(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    for port in _PORTS:
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue  # taken (another test or person): try the next
    raise RuntimeError(f"no free port in {_PORTS.start}-{_PORTS.stop - 1} on 127.0.0.1")


@contextmanager
def serving(rows: list[dict[str, Any]]) -> Iterator[PageServer]:
    """A PageServer listening on 127.0.0.1 in a thread of this process, until the block ends."""
    pages = PageServer(rows)
    http = _bind(_handler(pages))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    pages.base_url = f"http://127.0.0.1:{http.server_address[1]}"
    try:
        yield pages
    finally:
        http.shutdown()
        http.server_close()
        thread.join()
