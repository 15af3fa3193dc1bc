"""The messages of the loader's Langfuse failures: what went wrong and which setting to change,
with every form of the API keys hidden (secrets.py).

Messages are built freely (they name LANGFUSE_BASE_URL, which may itself hold a key pasted into
its path or query) and hidden on the way out: every error leaves the client through
``FailureMessages.leaving`` and every warning through ``scrub``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import orjson

from cost_pipeline import settings
from cost_pipeline.langfuse.error_body import error_text, html_text
from cost_pipeline.langfuse.errors import LangfuseError, LangfuseRequestError
from cost_pipeline.langfuse.query import OBSERVATIONS_PATH
from cost_pipeline.langfuse.retry import PACE_ADVICE, PROXY_STATUS
from cost_pipeline.langfuse.secrets import (
    CLIP_SCAN_FACTOR,
    Scrubber,
    describe_secret,
    mask_key,
    whitespace_around,
)

# How much of a server's error text goes into our messages: room for a few validation issues.
_SERVER_TEXT_CHARS = 400


class FailureMessages:
    def __init__(self, connection: settings.LangfuseConnection) -> None:
        self._connection = connection
        self._scrubber = Scrubber(
            (connection.secret_key, connection.public_key),
            # serve-local's built-in keys are documented, not secret: a 401 says they were sent.
            shown=(settings.LOCAL_SECRET_KEY, settings.LOCAL_PUBLIC_KEY),
        )

    def scrub(self, text: str) -> str:
        return self._scrubber.scrub(text)

    @contextmanager
    def leaving(self) -> Iterator[None]:
        """``hidden`` for every error raised in the block (off the per-page path: see client)."""
        try:
            yield
        except Exception as exc:
            if (shown := self.hidden(exc)) is exc:
                raise
            raise shown from None

    def hidden(self, exc: Exception) -> Exception:
        """``exc`` itself when no key shows in its text or its causes', else a new error of the
        same kind (LangfuseRequestError for others) with the keys hidden, to raise ``from None``:
        Dagster records the whole chain of an exception, so a cause would carry the key into the
        run's events."""
        if all(self.scrub(text) == text for text in _texts_of_chain(exc)):
            return exc
        message = self.scrub(str(exc))
        if isinstance(exc, LangfuseError):
            return type(exc)(message)
        return LangfuseRequestError(f"{type(exc).__name__}: {message}")

    def unsupported_url(self, error: Exception) -> str:
        return (
            f"LANGFUSE_BASE_URL ({self._connection.base_url}) is not an http:// or https:// URL "
            f"({error}): set it to the Langfuse host, e.g. https://cloud.langfuse.com"
        )

    def undecodable(self, reason: str) -> str:
        return (
            f"a response's body does not match its Content-Encoding header: {reason}; "
            "a proxy between here and LANGFUSE_BASE_URL may be altering responses"
        )

    def gave_up(
        self, attempts: int, window: str, last: str, last_throttled: bool, throttled: int
    ) -> str:
        """A request's attempts ran out: blame the rate limit when it caused the last failure or
        most of them (more attempts over a "flaky network" would only be throttled again)."""
        head = f"Langfuse request failed {attempts} times in a row (window {window}); "
        resume = "; the next run resumes from the last checkpoint"
        if last_throttled or 2 * throttled > attempts:
            return (
                f"{head}{throttled} of them were rate-limited (HTTP 429) by your Langfuse plan's "
                f"request limit, last problem: {last}. To stop being throttled, {PACE_ADVICE}, "
                f"or raise the run config's max_attempts / max_retry_wait_s{resume}"
            )
        if last.startswith("invalid page"):
            # The server answers, but not with pages: more attempts over the network won't help.
            return (
                f"{head}last problem: {last}. The server at LANGFUSE_BASE_URL "
                f"({self._connection.base_url}) answered each attempt with something other than "
                f"a readable observations page: point it at Langfuse itself, not at a proxy or "
                f"gateway that alters its responses{resume}"
            )
        return (
            f"{head}last problem: {last}. Check that LANGFUSE_BASE_URL "
            f"({self._connection.base_url}) is reachable from here, or raise the run config's "
            f"max_attempts / max_retry_wait_s for a flaky network{resume}"
        )

    def server_text(self, body: bytes) -> str:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict) and "message" in document:
            text = error_text(document, _SERVER_TEXT_CHARS * CLIP_SCAN_FACTOR)
        else:  # decoding a huge page only to cut it would be waste: clip reads no further
            head = body[: _SERVER_TEXT_CHARS * CLIP_SCAN_FACTOR].decode("utf-8", "replace")
            text = html_text(head) or head or "(empty body)"
        # Scrubbed before it is cut, so a cut cannot leave the start of a key behind.
        return self._scrubber.clip(text, _SERVER_TEXT_CHARS)

    def retryable(self, status: int, body: bytes) -> str:
        """One failed attempt: a proxy's status says what it means, its HTML page would not."""
        if status in PROXY_STATUS:
            return (
                f"HTTP {status} ({PROXY_STATUS[status]}, from a proxy in front of Langfuse): "
                f"{self.server_text(body)}"
            )
        return f"HTTP {status}: {self.server_text(body)}"

    def auth(self, status: int, body: bytes) -> str:
        conn = self._connection
        public = _built_in_or(
            "LANGFUSE_PUBLIC_KEY", conn.public_key, settings.LOCAL_PUBLIC_KEY, _describe_public
        )
        secret = _built_in_or(
            "LANGFUSE_SECRET_KEY", conn.secret_key, settings.LOCAL_SECRET_KEY, describe_secret
        )
        # Sent as they are, as the Langfuse SDK sends them: the fix belongs in the variable,
        # which the application's SDK reads too.
        padded = any(whitespace_around(key) for key in (conn.public_key, conn.secret_key))
        return (
            f"Langfuse rejected the API keys (HTTP {status} from {conn.base_url}). Check "
            f"LANGFUSE_PUBLIC_KEY ({public}), LANGFUSE_SECRET_KEY ({secret}) and that "
            f"LANGFUSE_BASE_URL ({conn.base_url}) is the Langfuse host of the project these "
            "keys belong to."
            + (
                " Whitespace around a key is sent as part of it: remove it from the variable (a "
                "value read from a file, e.g. a Kubernetes secret, often ends with a newline)."
                if padded
                else ""
            )
            + f" Server said: {self.server_text(body)}"
        )

    def redirect(self, status: int, response: httpx.Response) -> str:
        location = response.headers.get("Location", "(no Location header)")
        plain = self._connection.base_url.startswith("http://")
        return (
            f"LANGFUSE_BASE_URL ({self._connection.base_url}) answers with a redirect "
            f"(HTTP {status}) to {location}: set LANGFUSE_BASE_URL to the host it names"
            + (
                ", with https://. The keys were sent over plain HTTP to the redirecting server; "
                "rotate them if that network is not trusted"
                if plain
                else ""
            )
            + "."
        )

    def html_page(self) -> str:
        return (
            f"LANGFUSE_BASE_URL ({self._connection.base_url}) answered the observations API with "
            "an HTML page, not JSON: it points at a web page (a sign-in page, a proxy, the "
            "Langfuse UI behind another path) rather than the Langfuse API host. Set it to the "
            "host you open Langfuse on, without a path, e.g. https://cloud.langfuse.com."
        )

    def cursor_refused(self, window: str, detail: str) -> str:
        """A cursor refused in the load that received it: a cursor saved by an earlier load is
        handled by reading its window again (ingest_fetch.py); this one cannot be."""
        return (
            f"Langfuse refused the cursor it handed out in this load for window {window} "
            f"({detail}). A cursor Langfuse returned moments ago should be accepted: the server "
            "is paging inconsistently (a bug, or Langfuse upgraded during the load), and reading "
            "the window again could repeat forever, so the load stops here; its checkpoint is "
            "kept. Re-run it: a saved cursor Langfuse no longer accepts is dropped and its window "
            "read again from its start (rows are upserted by id, nothing is counted twice). If "
            "the re-run fails the same way, check that LANGFUSE_BASE_URL "
            f"({self._connection.base_url}) points at Langfuse itself, not at a proxy that "
            "rewrites requests"
        )

    def refused(self, status: int, body: bytes) -> str:
        url = f"{self._connection.base_url}{OBSERVATIONS_PATH}"
        hint = ""
        if status == 404:
            hint = (
                " The v2 observations API needs Langfuse v4 (Cloud, or self-hosted v4+); check "
                "that LANGFUSE_BASE_URL points at the Langfuse host, without a path."
            )
        elif status >= 500:  # 501, 505, ...: not a passing fault, so it was not retried
            hint = (
                f" The server does not support this request, so retrying cannot help: check that "
                f"LANGFUSE_BASE_URL ({self._connection.base_url}) points at Langfuse itself "
                "(Cloud, or self-hosted v4+), not at a proxy or another service."
            )
        return f"Langfuse refused GET {url} (HTTP {status}): {self.server_text(body)}.{hint}"


def _texts_of_chain(error: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        current = current.__cause__ or current.__context__


def is_html(response: httpx.Response) -> bool:
    return response.headers.get("Content-Type", "").lower().startswith("text/html")


def _describe_public(key: str) -> str:
    # Masked without the whitespace, which the mask's last characters would otherwise print.
    edges = whitespace_around(key)
    return mask_key(key.strip()) + (f"; {edges}" if edges else "")


def _built_in_or(variable: str, value: str, built_in: str, describe: Callable[[str], str]) -> str:
    """What to say about a key: that it was not set, when serve-local's own was sent instead."""
    if value == built_in and not os.environ.get(variable):
        return f"not set, so serve-local's built-in {built_in!r} was sent"
    return describe(value)
