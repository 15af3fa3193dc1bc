"""The requests-per-minute budget: never more than the limit in any 60 s, shared by threads."""

import threading
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_pipeline.langfuse import ObservationWindow
from cost_pipeline.langfuse.budget import WINDOW_S, BudgetWaitCancelled, RequestBudget
from cost_pipeline.langfuse.errors import FetchCancelled
from cost_pipeline.langfuse.resource import LangfuseResource


class FakeTime:
    """A clock that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float, stop: threading.Event | None) -> bool:
        with self.lock:
            self.now += seconds
        return stop is not None and stop.is_set()

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 40),
    gaps=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=150),
)
def test_no_60_second_span_ever_holds_more_than_the_limit(limit, gaps):
    time = FakeTime()
    budget = RequestBudget(limit, margin_s=0.5, clock=time.clock, sleep=time.sleep)
    sent = []
    for gap in gaps:
        time.advance(gap)
        budget.acquire()
        sent.append(time.clock())
    assert most_in_any_window(sent, WINDOW_S) <= limit


def test_a_short_load_uses_its_whole_minute_at_once_then_waits():
    time = FakeTime()
    budget = RequestBudget(3, margin_s=1.0, clock=time.clock, sleep=time.sleep)
    assert [budget.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    waited = budget.acquire()
    assert waited == pytest.approx(WINDOW_S + 1.0)
    assert budget.waited_s == pytest.approx(waited)


def test_threads_share_one_budget():
    time = FakeTime()
    budget = RequestBudget(10, margin_s=0.0, clock=time.clock, sleep=time.sleep)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(15):
            budget.acquire()
            with lock:
                sent.append(time.clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 60
    assert most_in_any_window(sent, WINDOW_S) <= 10


def test_zero_means_no_limit():
    budget = RequestBudget(0)
    assert all(budget.acquire() == 0.0 for _ in range(10_000))


def test_a_stopped_load_stops_waiting():
    stop = threading.Event()
    budget = RequestBudget(1)
    budget.acquire()
    stop.set()
    with pytest.raises(BudgetWaitCancelled):
        budget.acquire(stop)


def test_negative_limits_are_refused():
    with pytest.raises(ValueError, match="requests_per_minute"):
        RequestBudget(-1)


def test_the_days_of_a_range_run_share_the_minute_of_requests(serve_local):
    """Langfuse counts requests per organisation and minute (Cloud: 30 on Hobby), whatever the
    day they read. raw_generations opens one client per day of a range run, from its one
    langfuse resource: a day's client must find the minute the previous day used up, not a
    fresh budget that sends at once into HTTP 429s."""
    resource = LangfuseResource(
        base_url=serve_local.base_url,
        public_key=serve_local.public_key,
        secret_key=serve_local.secret_key,
        requests_per_minute=2,
    )
    first, second = (datetime(2026, 11, 10) + timedelta(days=n) for n in range(2))
    with resource.open_client() as first_day:
        for _ in range(2):
            first_day.fetch_page(ObservationWindow(first, second), None)
    stopped = threading.Event()
    stopped.set()  # a request that would have to wait for a slot is cancelled at once
    with resource.open_client() as second_day, pytest.raises(FetchCancelled):
        second_day.fetch_page(ObservationWindow(second, second + timedelta(days=1)), None, stopped)
    assert serve_local.stats()["pages_served"] == 2
