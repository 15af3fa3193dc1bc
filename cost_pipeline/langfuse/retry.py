"""When and how long to wait before asking Langfuse again, with one budget for the whole load."""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from cost_pipeline.langfuse.errors import LangfuseUnavailableError

# What a CDN or reverse proxy in front of Langfuse (Cloudflare's 52x; 598/599 from some proxies)
# answers for trouble between it and Langfuse: as transient as a 502/503/504, retried alike.
PROXY_STATUS = {
    520: "the origin answered with something the proxy could not read",
    521: "the origin refused the proxy's connection",
    522: "connection to the origin timed out",
    523: "the origin is unreachable",
    524: "the origin took too long to answer",
    598: "network read timeout at the proxy",
    599: "network connect timeout at the proxy",
}
# Status codes worth another try: rate limiting and server-side failures. Not 501 or 505: the
# server does not support the request, and asking again cannot change that.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, *PROXY_STATUS})
# Longer server-requested waits are cut to this; it is far past any retry budget, so the load
# still gives up with the usual message, without printing an absurd number.
MAX_RETRY_AFTER_S = 86_400.0
# What every failure that rate limiting ends in advises: the fix is pacing, not the network.
PACE_ADVICE = (
    "set COST_PIPELINE_REQUESTS_PER_MINUTE (or the langfuse resource's requests_per_minute) to "
    "your Langfuse plan's limit (Hobby: 30) so the load paces itself"
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded per request and in total wait per load."""

    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_attempts: int = 8  # per request, including the first
    max_total_wait_s: float = 300.0  # wall time the load may spend waiting to retry

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Delay before retry ``retry_number`` (1-based): capped exponential, "equal jitter".

        Half the delay is fixed so retries never bunch up at zero; the random half spreads
        concurrent workers that failed together.
        """
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (retry_number - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def retry_after_seconds(value: object) -> float | None:
    """A server-requested wait in seconds, or None when it is not a usable one.

    Usable: a finite number >= 0 (as a number or as text). A negative, NaN or infinite wait would
    retry at once or switch the retry budget off, so the caller falls back to its own backoff.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_S)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    seconds = retry_after_seconds(value.strip())
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # A date already past means "now": a clock a little ahead of the server's is not an error.
    return min(max(0.0, (when - (now or datetime.now(UTC))).total_seconds()), MAX_RETRY_AFTER_S)


@dataclass
class RequestStats:
    """Counters for one load, shared by every thread fetching for it."""

    requests: int = 0  # HTTP attempts, failed ones included
    pages: int = 0
    bytes: int = 0
    retries: int = 0
    retry_wait_s: float = 0.0
    throttled: int = 0  # 429 answers
    budget_wait_s: float = 0.0  # time requests waited for the requests-per-minute budget
    _waiting_until: float = field(default=0.0, repr=False)  # end of the furthest booked wait
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_request(self, received_bytes: int, *, ok: bool, throttled: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += received_bytes
            self.pages += int(ok)
            self.throttled += int(throttled)

    def add_budget_wait(self, seconds: float) -> None:
        if seconds:
            with self._lock:
                self.budget_wait_s += seconds

    def reserve_wait(
        self, delay_s: float, policy: RetryPolicy, reason: str, now: float | None = None
    ) -> None:
        """Book ``delay_s`` from ``now`` (monotonic) against the load's budget, or give up if
        the budget cannot pay it. Fetchers waiting at the same time cost the load that time once:
        the budget is the wall time spent waiting, not the sum of every thread's waits."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._waiting_until <= now:
                extra = delay_s  # no other wait under way
            else:
                extra = max(0.0, now + delay_s - self._waiting_until)
            if self.retry_wait_s + extra > policy.max_total_wait_s:
                advice = "raise max_retry_wait_s in the raw_generations run config"
                if "HTTP 429" in reason:
                    advice = f"{PACE_ADVICE}, or {advice}"
                raise LangfuseUnavailableError(
                    f"giving up: the next wait ({delay_s:.1f}s) would exceed the retry budget of "
                    f"{policy.max_total_wait_s:.0f}s (already waited {self.retry_wait_s:.1f}s over "
                    f"{self.retries} retries); last problem: {reason}. To wait longer, {advice}; "
                    "the next run resumes from the last checkpoint"
                )
            self.retries += 1
            self.retry_wait_s += extra
            self._waiting_until = max(self._waiting_until, now + delay_s)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {
                "requests": self.requests,
                "pages": self.pages,
                "bytes": self.bytes,
                "retries": self.retries,
                "retry_wait_s": round(self.retry_wait_s, 3),
                "throttled": self.throttled,
                "budget_wait_s": round(self.budget_wait_s, 3),
            }
