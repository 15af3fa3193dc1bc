"""A stand-in Langfuse whose second page is corrupt in the middle the first time it is asked for.

serve-local's faults always break a page's envelope (cut, not JSON), which the client catches; a
page whose start and end look right but whose middle is broken only shows when DuckDB parses it.
Run as a script: prints the port, serves GET /api/public/v2/observations until killed.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cost_pipeline_tests.warehouse.observations import observation, page_bytes

DAY = datetime.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else datetime(2026, 11, 1)
FIRST = page_bytes(
    [observation(f"first-{i}", DAY + timedelta(hours=20, seconds=i)) for i in range(5)], "c1"
)
SECOND = page_bytes(
    [observation(f"second-{i}", DAY + timedelta(hours=2, seconds=i)) for i in range(5)]
)
CORRUPT = SECOND[:200] + b'"broken' + SECOND[200:]
served_second = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        global served_second
        query = parse_qs(urlparse(self.path).query)
        if query.get("cursor") == ["c1"]:
            served_second += 1
            body = CORRUPT if served_second == 1 else SECOND
        else:
            body = FIRST
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
