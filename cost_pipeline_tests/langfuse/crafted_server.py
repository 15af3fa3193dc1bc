"""A real HTTP server on 127.0.0.1 that answers GET requests with responses a test scripts.

serve-local only fails in the ways Langfuse does; some faults come from what sits in between (a
proxy echoing the request's headers into an error page, a broken Content-Encoding), so a test
lists the exact responses here. Answers are served in order; the last one repeats. With ``tls``
it speaks HTTPS (e.g. with a self-signed certificate, tls_certificate.py).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The ports the shared test machine leaves to this kind of helper.
PORTS = range(4300, 4350)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass
class CraftedServer:
    """Looks like a LangfuseResource's connection to the loader's test helpers."""

    answers: list[Answer]
    public_key: str
    secret_key: str
    base_url: str = ""
    authorizations: list[str] = field(default_factory=list)  # each request's header, in order
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_answer(self, authorization: str) -> Answer:
        with self._lock:  # the server answers each request in its own thread
            self.authorizations.append(authorization)
            return self.answers[min(len(self.authorizations), len(self.answers)) - 1]


def _handler(crafted: CraftedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = crafted.next_answer(self.headers.get("Authorization", ""))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: object) -> None:
            pass  # the tests read what the client reports, not the server's access log

    return Handler


def _bind(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    for port in PORTS:
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue  # taken by another test run
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def crafted_server(
    answers: list[Answer],
    *,
    public_key: str,
    secret_key: str,
    tls: ssl.SSLContext | None = None,
) -> Iterator[CraftedServer]:
    crafted = CraftedServer(list(answers), public_key, secret_key)
    server = _bind(_handler(crafted))
    scheme = "http"
    if tls is not None:
        # The handshake runs in accept(); a client that refuses the certificate only makes
        # accept() fail, which socketserver ignores, so the server keeps serving.
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    crafted.base_url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    # A short poll interval only makes shutdown quick; requests are answered as they come.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield crafted
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
