"""Network and server faults during a real raw_generations load, injected by serve-local's knobs.

Each test ends by holding raw_generations to serve-local's own truth: every id exactly once.
One server for the module (knobs are reset per test); each test loads its own day and warehouse.
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    day_start,
    failure_text,
    ingest_state,
    materialize_day,
    metadata,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("reliability_faults")

FIRST_DAY = datetime.now(UTC).date() - timedelta(days=60)
NO_FAULTS = {
    "fail_next": [],
    "error_rate": 0,
    "drop_rate": 0,
    "truncate_rate": 0,
    "invalid_json_rate": 0,
    "repeat_cursor_rate": 0,
    "page_latency_ms": 0,
    "rate_limit_per_minute": 0,
}
# A fail_next entry that lets one request through untouched: it puts a fault on a later page.
PASS_ONE = {"kind": "delay", "ms": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("faults")) as srv:
        yield srv


@pytest.fixture
def fresh(server):
    server.set_knobs(**NO_FAULTS)
    server.reset_stats()
    yield server
    server.set_knobs(**NO_FAULTS)


def seed_day(server, offset: int, count: int) -> datetime.date:
    day = FIRST_DAY + timedelta(days=offset)
    step = timedelta(days=1) / count
    server.inject(
        [observation(f"f{offset}-{i:06d}", day_start(day) + step * i) for i in range(count)]
    )
    return day


def faults_injected(server) -> int:
    """Faults that cost the client a retry (a zero-ms "delay" only spaces faults out)."""
    kinds = server.stats()["faults_injected"]
    return sum(count for kind, count in kinds.items() if kind != "delay")


def test_429_storm_honours_retry_after_and_reports_the_wait(fresh, tmp_path):
    day = seed_day(fresh, 0, 3000)
    storm = {"status": 429, "retry_after": 1, "count": 3}
    fresh.set_knobs(fail_next=[PASS_ONE, storm])
    result = materialize_day(fresh, tmp_path / "w.duckdb", day)
    assert result.success, failure_text(result)
    meta = metadata(result)
    assert meta["throttled"] == meta["retries"] == 3
    # Never earlier than Retry-After, and the jitter on top stays small.
    assert 3.0 <= meta["retry_wait_s"] <= 3.0 * 1.15 + 0.2
    assert meta["duration_s"] >= 3.0  # the waits really happened
    assert meta["retry_wait_budget_s"] == 300.0
    assert meta["api_requests"] == 3 + 3
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_rate_limit_beyond_the_retry_budget_fails_fast_then_resumes_exactly(fresh, tmp_path):
    day = seed_day(fresh, 1, 5000)
    database = tmp_path / "w.duckdb"
    # Langfuse Cloud's fixed 60 s window: the third request is told to wait ~60 s.
    fresh.set_knobs(rate_limit_per_minute=2)
    failed = materialize_day(fresh, database, day, batch_pages=1, max_retry_wait_s=5)
    assert not failed.success
    message = failure_text(failed)
    assert "retry budget of 5s" in message and "HTTP 429" in message
    state = ingest_state(database, day)
    assert state["status"] == "failed" and state["pages"] == 2
    assert "retry budget" in state["error"]

    fresh.set_knobs(rate_limit_per_minute=0)
    fresh.reset_stats()
    resumed = materialize_day(fresh, database, day)
    assert resumed.success, failure_text(resumed)
    meta = metadata(resumed)
    assert meta["mode"] == "resumed"
    assert meta["api_requests"] == fresh.stats()["read_requests"] == 3  # not 5: pages 1-2 kept
    assert_exactly_the_truth(fresh, database, day)


def test_5xx_bursts_are_retried(fresh, tmp_path):
    day = seed_day(fresh, 2, 4000)
    fresh.set_knobs(
        fail_next=[PASS_ONE, {"status": 503, "count": 3}, PASS_ONE, {"status": 502, "count": 2}],
        error_rate=0.2,
        fault_seed=11,
    )
    result = materialize_day(fresh, tmp_path / "w.duckdb", day, page_limit=500)
    assert result.success, failure_text(result)
    meta = metadata(result)
    assert meta["retries"] == faults_injected(fresh) >= 5
    assert meta["api_requests"] == 8 + meta["retries"]
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_dropped_connections_are_retried(fresh, tmp_path):
    day = seed_day(fresh, 3, 4000)
    fresh.set_knobs(drop_rate=0.3, fault_seed=12)
    result = materialize_day(fresh, tmp_path / "w.duckdb", day, page_limit=500)
    assert result.success, failure_text(result)
    assert metadata(result)["retries"] == faults_injected(fresh) > 0
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_truncated_and_invalid_json_pages_are_fetched_again(fresh, tmp_path):
    day = seed_day(fresh, 4, 4000)
    fresh.set_knobs(truncate_rate=0.2, invalid_json_rate=0.2, fault_seed=13)
    result = materialize_day(fresh, tmp_path / "w.duckdb", day, page_limit=500)
    assert result.success, failure_text(result)
    meta = metadata(result)
    assert meta["retries"] == faults_injected(fresh) > 0
    assert meta["rows_rejected"] == 0
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_a_cursor_repeated_once_is_asked_again(fresh, tmp_path):
    day = seed_day(fresh, 5, 3000)
    fresh.set_knobs(fail_next=[{"kind": "repeat_cursor"}])
    result = materialize_day(fresh, tmp_path / "w.duckdb", day)
    assert result.success, failure_text(result)
    assert metadata(result)["retries"] == 1
    assert metadata(result)["rows_duplicate"] == 0
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_a_cursor_loop_stops_with_a_clear_error_and_a_rerun_completes_exactly(fresh, tmp_path):
    day = seed_day(fresh, 6, 4000)
    database = tmp_path / "w.duckdb"
    fresh.set_knobs(fail_next=[{"kind": "repeat_cursor", "count": 3}])
    looped = materialize_day(fresh, database, day, batch_pages=1)
    assert not looped.success
    message = failure_text(looped)
    assert "CursorLoopError" in message and "paging would never end" in message
    assert ingest_state(database, day)["status"] == "failed"

    fresh.reset_stats()
    rerun = materialize_day(fresh, database, day)
    assert rerun.success, failure_text(rerun)
    assert metadata(rerun)["mode"] == "resumed"
    assert metadata(rerun)["api_requests"] < 4  # continues after the committed first page
    assert_exactly_the_truth(fresh, database, day)


def test_slow_pages_hit_the_read_timeout_and_are_retried(fresh, tmp_path):
    day = seed_day(fresh, 7, 3000)
    fresh.set_knobs(fail_next=[PASS_ONE, {"kind": "delay", "ms": 2500, "count": 2}])
    result = materialize_day(fresh, tmp_path / "w.duckdb", day, read_timeout_s=0.5)
    assert result.success, failure_text(result)
    assert metadata(result)["retries"] == 2
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)


def test_a_server_that_stays_too_slow_fails_clearly_then_a_rerun_completes(fresh, tmp_path):
    day = seed_day(fresh, 8, 2000)
    database = tmp_path / "w.duckdb"
    fresh.set_knobs(page_latency_ms=1500)
    slow = materialize_day(fresh, database, day, read_timeout_s=0.3, max_attempts=3)
    assert not slow.success
    message = failure_text(slow)
    assert "failed 3 times in a row" in message and "timed out" in message
    assert "LANGFUSE_BASE_URL" in message and "max_attempts" in message

    fresh.set_knobs(page_latency_ms=0)
    rerun = materialize_day(fresh, database, day, read_timeout_s=0.3)
    assert rerun.success, failure_text(rerun)
    assert_exactly_the_truth(fresh, database, day)


def test_a_server_killed_and_restarted_mid_load_loses_nothing(fresh, tmp_path):
    day = seed_day(fresh, 9, 6000)
    database = tmp_path / "w.duckdb"
    fresh.set_knobs(page_latency_ms=300)
    outcome = {}

    def load() -> None:
        outcome["result"] = materialize_day(
            fresh, database, day, batch_pages=1, retry_base_delay_s=0.25
        )

    loader = threading.Thread(target=load)
    loader.start()
    deadline = datetime.now() + timedelta(seconds=60)
    while fresh.stats()["pages_served"] < 2:
        assert datetime.now() < deadline, "the load never started"
        time.sleep(0.05)  # polling the server's counter until the load is under way
    fresh.kill9()
    fresh.restart()  # same data dir and port; knobs are back to their defaults
    loader.join(120)
    assert not loader.is_alive()
    result = outcome["result"]
    assert result.success, failure_text(result)
    assert metadata(result)["retries"] >= 1
    assert_exactly_the_truth(fresh, database, day)


def test_every_fault_at_once_loses_and_repeats_nothing(fresh, tmp_path):
    day = seed_day(fresh, 10, 10_000)
    fresh.set_knobs(
        error_rate=0.05,
        drop_rate=0.05,
        truncate_rate=0.05,
        invalid_json_rate=0.05,
        repeat_cursor_rate=0.05,
        fault_seed=14,
        fail_next=[PASS_ONE, {"status": 429, "retry_after": 1, "count": 2}],
    )
    result = materialize_day(fresh, tmp_path / "w.duckdb", day, page_limit=500)
    assert result.success, failure_text(result)
    meta = metadata(result)
    assert meta["retries"] == faults_injected(fresh) >= 3
    assert meta["rows_loaded"] == meta["rows_upserted_new"] == 10_000
    assert meta["rows_duplicate"] == 0
    assert_exactly_the_truth(fresh, tmp_path / "w.duckdb", day)
