"""HTTP client for ``GET /api/public/v2/observations``: cursor paging, retries, clear failures.

One ``httpx.Client`` per load keeps connections alive across pages. ``fetch_window`` is the unit a
scheduler can run in several threads at once (one per time sub-window); the client, its stats and
its retry budget are thread-safe.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx
import orjson

from cost_pipeline import settings
from cost_pipeline.langfuse.budget import BudgetWaitCancelled, RequestBudget
from cost_pipeline.langfuse.errors import (
    CursorLoopError,
    CursorRejectedError,
    FetchCancelled,
    InvalidPageError,
    LangfuseAuthError,
    LangfuseRequestError,
    LangfuseUnavailableError,
)
from cost_pipeline.langfuse.messages import FailureMessages, is_html
from cost_pipeline.langfuse.page import Page, next_cursor_of
from cost_pipeline.langfuse.query import OBSERVATIONS_PATH, ObservationWindow
from cost_pipeline.langfuse.retry import (
    RETRYABLE_STATUS,
    RequestStats,
    RetryPolicy,
    parse_retry_after,
    retry_after_seconds,
)
from cost_pipeline.langfuse.secrets import mask_key
from cost_pipeline.langfuse.tls import tls_setting_problem

USER_AGENT = "cost-pipeline/0.1 (langfuse v2 observations loader)"
# A repeated cursor may be a glitch: ask again this many times before calling it a loop.
_CURSOR_REPEAT_REFETCHES = 2
# How Langfuse refuses a request it cannot read ("Invalid cursor format" is a 400).
CURSOR_REFUSED_STATUS = frozenset({400, 422})


class WarningLog(Protocol):
    def warning(self, msg: str) -> None: ...


@dataclass(frozen=True)
class Problem:
    """Why an attempt failed in a way another attempt may not."""

    text: str
    retry_after: float | None = None  # what the server asked to wait, if it did
    throttled: bool = False  # a 429: the rate limit, not the network


class ObservationsClient:
    def __init__(
        self,
        connection: settings.LangfuseConnection,
        *,
        policy: RetryPolicy | None = None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 60.0,
        max_connections: int = 4,
        log: WarningLog | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.connection = connection
        self.policy = policy or RetryPolicy()
        self.budget = budget  # requests per minute, shared by every thread of the load
        self.stats = RequestStats()
        self._log = log or logging.getLogger(__name__)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._messages = FailureMessages(connection)
        with self._messages.leaving():  # httpx names the URL when it cannot parse it
            self._http = httpx.Client(
                base_url=connection.base_url,
                auth=httpx.BasicAuth(connection.public_key, connection.secret_key),
                timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                ),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )

    def __repr__(self) -> str:
        return self._messages.scrub(
            f"ObservationsClient(base_url={self.connection.base_url!r}, "
            f"public_key={mask_key(self.connection.public_key)!r})"
        )

    def __enter__(self) -> ObservationsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---------------------------------------------------------------- paging

    def fetch_window(
        self,
        window: ObservationWindow,
        cursor: str | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Page]:
        """Every page of ``window``, starting after ``cursor`` (e.g. a checkpoint), in order."""
        seen: set[str] = {cursor} if cursor else set()
        while stop is None or not stop.is_set():
            # fetch_page hides the keys in its errors; the others here name no URL.
            page = self._fetch_without_loop(window, cursor, seen, stop)
            yield page
            if page.next_cursor is None:
                return
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    def _fetch_without_loop(
        self,
        window: ObservationWindow,
        cursor: str | None,
        seen: set[str],
        stop: threading.Event | None,
    ) -> Page:
        for refetch in range(_CURSOR_REPEAT_REFETCHES + 1):
            page = self.fetch_page(window, cursor, stop)
            if page.next_cursor is None or page.next_cursor not in seen:
                return page
            problem = f"already followed cursor returned for window {window.describe()}"
            if refetch < _CURSOR_REPEAT_REFETCHES:
                self.wait_before_retry(refetch + 1, problem, stop=stop)
        raise CursorLoopError(
            f"Langfuse keeps returning a cursor this load already followed (window "
            f"{window.describe()}, {len(seen)} cursors so far, asked "
            f"{_CURSOR_REPEAT_REFETCHES + 1} times): paging would never end, so the load stops "
            f"here. Its checkpoint is kept; re-run once the server pages correctly, or use "
            f"full_refresh."
        )

    def fetch_page(
        self,
        window: ObservationWindow,
        cursor: str | None,
        stop: threading.Event | None = None,
    ) -> Page:
        """One page, retried on rate limits, server errors, timeouts, drops and cut bodies."""
        # try/except, not `with self._messages.leaving()`: a with block on this per-page path
        # raised a 1M load's peak RSS by 10-15 MB (BENCHMARKS.md, eleventh session).
        try:
            return self._fetch_page(window, cursor, stop)
        except Exception as exc:
            if (shown := self._messages.hidden(exc)) is exc:
                raise
            raise shown from None

    def _fetch_page(
        self, window: ObservationWindow, cursor: str | None, stop: threading.Event | None
    ) -> Page:
        attempt = throttled = 0
        while True:
            attempt += 1
            outcome = self._attempt(window, cursor, stop)
            if isinstance(outcome, Page):
                return outcome
            throttled += outcome.throttled
            if attempt >= self.policy.max_attempts:
                raise LangfuseUnavailableError(
                    self._messages.gave_up(
                        attempt, window.describe(), outcome.text, outcome.throttled, throttled
                    )
                )
            self.wait_before_retry(
                attempt, outcome.text, retry_after=outcome.retry_after, stop=stop
            )

    def _attempt(
        self, window: ObservationWindow, cursor: str | None, stop: threading.Event | None = None
    ) -> Page | Problem:
        if self.budget is not None:
            try:
                self.stats.add_budget_wait(self.budget.acquire(stop))
            except BudgetWaitCancelled as exc:
                raise FetchCancelled(str(exc)) from exc
        sent = time.monotonic()
        try:
            response, body = self._get(window.params(cursor))
        except httpx.TimeoutException as exc:
            self.stats.count_request(0, ok=False)
            return Problem(f"timed out ({type(exc).__name__})")
        except httpx.UnsupportedProtocol as exc:  # a setting, not a glitch: retrying cannot help
            raise LangfuseRequestError(self._messages.unsupported_url(exc)) from exc
        except httpx.TransportError as exc:
            self.stats.count_request(0, ok=False)
            if tls := tls_setting_problem(exc, self.connection.base_url):
                raise LangfuseRequestError(tls) from exc
            return Problem(f"connection failed ({type(exc).__name__}: {exc})")
        if response is None:  # like a cut page: ask again
            self.stats.count_request(0, ok=False)
            return Problem(self._messages.undecodable(body))
        status = response.status_code
        if status == 200 and is_html(response):
            self.stats.count_request(len(body), ok=False)
            raise LangfuseRequestError(self._messages.html_page())
        if status == 200:
            try:
                page = Page(window, cursor, next_cursor_of(body), body, time.monotonic() - sent)
            except InvalidPageError as exc:
                self.stats.count_request(len(body), ok=False)
                return Problem(f"invalid page: {exc}")
            except LangfuseRequestError:  # pages of another API: no retry can help
                self.stats.count_request(len(body), ok=False)
                raise
            self.stats.count_request(len(body), ok=True)
            return page
        self.stats.count_request(len(body), ok=False, throttled=status == 429)
        if status in (401, 403):
            raise LangfuseAuthError(self._messages.auth(status, body))
        if 300 <= status < 400:
            raise LangfuseRequestError(self._messages.redirect(status, response))
        if status in RETRYABLE_STATUS:
            return Problem(
                self._messages.retryable(status, body),
                _retry_after(response, body),
                throttled=status == 429,
            )
        if cursor and status in CURSOR_REFUSED_STATUS:
            detail = f"HTTP {status}: {self._messages.server_text(body)}"
            raise CursorRejectedError(
                self._messages.cursor_refused(window.describe(), detail), detail
            )
        raise LangfuseRequestError(self._messages.refused(status, body))

    def _get(
        self, params: list[tuple[str, str]]
    ) -> tuple[httpx.Response, bytes] | tuple[None, str]:
        """The response and its body, or no response and why its body could not be decoded."""
        try:
            response = self._http.get(OBSERVATIONS_PATH, params=params)
        except httpx.DecodingError as exc:
            # Not a TransportError: the connection was fine, the bytes were not what the
            # Content-Encoding header said (a proxy or server bug). Read this way rather than
            # streamed: streaming the 1.6 MB pages raised the loader's peak RSS by ~12 MB
            # (BENCHMARKS.md, "Late evening"), and a response that cannot be decoded is retried
            # whatever its status.
            return None, f"{type(exc).__name__}: {exc}"
        return response, response.content

    def wait_before_retry(
        self,
        retry_number: int,
        problem: str,
        *,
        retry_after: float | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Back off (booked against the load's retry budget); ``stop`` cuts the wait short."""
        problem = self._messages.scrub(problem)  # it goes into the log and the budget's error
        with self._rng_lock:
            if retry_after is None:
                delay = self.policy.backoff(retry_number, self._rng)
            else:
                # Never earlier than the server asked; a little later so workers do not stampede.
                delay = retry_after + self._rng.uniform(0, min(1.0, 0.1 * retry_after + 0.05))
        self.stats.reserve_wait(delay, self.policy, problem)
        self._log.warning(f"Langfuse: {problem}; retry {retry_number} in {delay:.2f}s")
        if stop is None:
            self._sleep(delay)
        elif stop.wait(delay):
            raise FetchCancelled("the load stopped while waiting to retry")


def _retry_after(response: httpx.Response, body: bytes) -> float | None:
    header = parse_retry_after(response.headers.get("Retry-After"))
    if header is not None:
        return header
    # Langfuse also repeats the wait in the 429 body; held to the header's rules.
    try:
        details = orjson.loads(body).get("details", {})
        return retry_after_seconds(details["retryAfterSeconds"])
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return None
