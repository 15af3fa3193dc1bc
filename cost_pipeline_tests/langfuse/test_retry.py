import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from cost_pipeline.langfuse.errors import LangfuseUnavailableError
from cost_pipeline.langfuse.retry import (
    MAX_RETRY_AFTER_S,
    RequestStats,
    RetryPolicy,
    parse_retry_after,
)


def test_backoff_grows_exponentially_within_jitter_and_cap():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(1)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not constant


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


@pytest.mark.parametrize("value", ["-4", "nan", "inf", "-inf", "1e400"])
def test_retry_after_that_is_no_usable_wait_is_ignored(value):
    # Not a delay-seconds value: the caller backs off on its own instead of retrying at once
    # (a negative or NaN wait) or booking an endless one against the retry budget.
    assert parse_retry_after(value) is None


def test_a_very_long_retry_after_is_capped_far_past_any_budget():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after("1e12") == MAX_RETRY_AFTER_S
    far = format_datetime(now + timedelta(days=400), usegmt=True)
    assert parse_retry_after(far, now) == MAX_RETRY_AFTER_S
    assert RetryPolicy().max_total_wait_s < MAX_RETRY_AFTER_S  # so the load still gives up


def test_wait_budget_is_shared_and_bounded():
    policy = RetryPolicy(max_total_wait_s=10.0)
    stats = RequestStats()
    stats.reserve_wait(4.0, policy, "HTTP 503", now=0.0)
    stats.reserve_wait(5.0, policy, "HTTP 503", now=4.0)
    with pytest.raises(LangfuseUnavailableError, match=r"retry budget of 10s.*HTTP 429") as error:
        stats.reserve_wait(2.0, policy, "HTTP 429", now=9.0)
    assert "requests_per_minute" in str(error.value) and "max_retry_wait_s" in str(error.value)
    assert stats.retries == 2
    assert stats.retry_wait_s == 9.0


def test_fetchers_waiting_at_the_same_time_cost_the_budget_that_time_once():
    # Four fetchers throttled together each wait 6 s: the load waited 6 s, not 24 s.
    policy = RetryPolicy(max_total_wait_s=10.0)
    stats = RequestStats()
    for _ in range(4):
        stats.reserve_wait(6.0, policy, "HTTP 429", now=100.0)
    assert stats.retry_wait_s == 6.0
    stats.reserve_wait(6.0, policy, "HTTP 429", now=101.0)  # ends 1 s later: 1 s more
    assert stats.retry_wait_s == 7.0
    with pytest.raises(LangfuseUnavailableError, match="max_retry_wait_s"):
        stats.reserve_wait(4.0, policy, "HTTP 503", now=107.0)  # 4 s more: over 10
    assert stats.retries == 5


def test_stats_are_thread_safe():
    stats = RequestStats()

    def count() -> None:
        for _ in range(10_000):
            stats.count_request(3, ok=True)

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats.snapshot()["requests"] == 40_000
    assert stats.snapshot()["bytes"] == 120_000
