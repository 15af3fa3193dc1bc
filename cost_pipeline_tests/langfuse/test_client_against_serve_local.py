"""The client against the real serve-local: paging, every retryable fault, and clear failures."""

import math
import time
from datetime import timedelta

import pytest

from cost_pipeline.langfuse import (
    CursorLoopError,
    LangfuseAuthError,
    LangfuseRequestError,
    LangfuseUnavailableError,
    ObservationsClient,
    ObservationWindow,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.langfuse.crafted_client import DAY, WINDOW
from cost_pipeline_tests.warehouse.observations import ids_of, observation

pytestmark = pytest.mark.xdist_group("langfuse_client")

COUNT = 2500  # 3 pages of 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("client")) as srv:
        # Many rows share a start time so page edges fall inside ties.
        srv.inject(
            [observation(f"obs-{i:05d}", DAY + timedelta(seconds=i // 7)) for i in range(COUNT)]
        )
        yield srv


@pytest.fixture
def fresh(server):
    server.set_knobs(fail_next=[], error_rate=0, rate_limit_per_minute=0)
    server.reset_stats()
    return server


def make_client(server, *, secret=None, base_url=None, sleeps=None, **policy) -> ObservationsClient:
    connection = LangfuseConnection(
        base_url=base_url or server.base_url,
        public_key=server.public_key,
        secret_key=secret or server.secret_key,
    )
    policy = {"base_delay_s": 0.01, "max_total_wait_s": 30.0, **policy}

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        time.sleep(seconds)  # the client's real back-off, the thing under test

    return ObservationsClient(
        connection, policy=RetryPolicy(**policy), read_timeout_s=5.0, sleep=sleep
    )


def fetch_all(client, window=WINDOW, cursor=None) -> list[bytes]:
    return [page.body for page in client.fetch_window(window, cursor)]


def test_pages_every_generation_once(fresh):
    with make_client(fresh) as client:
        ids = ids_of(fetch_all(client))
        assert client.stats.requests == math.ceil(COUNT / 1000)
    assert sorted(ids) == fresh.truth(DAY, DAY + timedelta(days=1))
    assert len(ids) == len(set(ids)) == COUNT


def test_small_pages_across_ties_see_every_id_once(fresh):
    window = ObservationWindow(DAY, DAY + timedelta(hours=1), limit=7)
    with make_client(fresh) as client:
        ids = ids_of(fetch_all(client, window))
    assert sorted(ids) == fresh.truth(DAY, DAY + timedelta(hours=1))
    assert len(ids) == len(set(ids))


def test_transient_faults_are_retried(fresh):
    faults = [
        {"status": 500},
        {"kind": "drop"},
        {"kind": "truncate"},
        {"kind": "invalid_json"},
        {"status": 503},
    ]
    fresh.set_knobs(fail_next=faults)
    with make_client(fresh) as client:
        ids = ids_of(fetch_all(client))
        assert client.stats.retries == len(faults)
        assert client.stats.requests == 3 + len(faults)
    assert sorted(ids) == fresh.truth(DAY, DAY + timedelta(days=1))


def test_rate_limit_retry_after_is_honoured(fresh):
    fresh.set_knobs(fail_next=[{"status": 429, "retry_after": 1, "count": 2}])
    sleeps: list[float] = []
    with make_client(fresh, sleeps=sleeps) as client:
        ids = ids_of(fetch_all(client))
        assert client.stats.throttled == 2
        assert client.stats.retry_wait_s >= 2.0
    assert len(sleeps) == 2
    assert all(seconds >= 1.0 for seconds in sleeps)
    assert len(ids) == COUNT


def test_slow_page_times_out_and_is_retried(fresh):
    fresh.set_knobs(fail_next=[{"kind": "delay", "ms": 3000}])
    connection = LangfuseConnection(fresh.base_url, fresh.public_key, fresh.secret_key)
    policy = RetryPolicy(base_delay_s=0.01)
    with ObservationsClient(connection, policy=policy, read_timeout_s=0.5) as client:
        ids = ids_of(fetch_all(client))
        assert client.stats.retries == 1
    assert len(ids) == COUNT


def test_repeated_cursor_once_is_refetched(fresh):
    fresh.set_knobs(fail_next=[{"kind": "repeat_cursor"}])
    with make_client(fresh) as client:
        ids = ids_of(fetch_all(client))
        assert client.stats.retries == 1
    assert sorted(set(ids)) == fresh.truth(DAY, DAY + timedelta(days=1))


def test_cursor_loop_stops_with_a_clear_error(fresh):
    fresh.set_knobs(fail_next=[{"kind": "repeat_cursor", "count": 3}])
    with make_client(fresh) as client, pytest.raises(CursorLoopError, match="already followed"):
        fetch_all(client)


def test_retry_budget_bounds_the_total_wait(fresh):
    fresh.set_knobs(fail_next=[{"status": 429, "retry_after": 60}])
    sleeps: list[float] = []
    client = make_client(fresh, sleeps=sleeps, max_total_wait_s=5.0)
    with client, pytest.raises(LangfuseUnavailableError, match="retry budget of 5s"):
        fetch_all(client)
    assert sleeps == []  # gave up instead of sleeping past the budget


def test_attempts_per_request_are_bounded(fresh):
    fresh.set_knobs(fail_next=[{"status": 502, "count": 3}])
    with make_client(fresh, max_attempts=3) as client:
        with pytest.raises(LangfuseUnavailableError, match="failed 3 times"):
            fetch_all(client)
        assert client.stats.requests == 3


def test_wrong_key_fails_at_once_naming_the_variables(fresh):
    wrong = "sk-lf-this-is-not-the-right-secret-4321"
    with make_client(fresh, secret=wrong) as client:
        with pytest.raises(LangfuseAuthError) as failure:
            fetch_all(client)
        assert client.stats.requests == 1  # not retried
    message = str(failure.value)
    for variable in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL"):
        assert variable in message
    assert wrong not in message
    assert "this-is-not" not in repr(client)


def test_wrong_base_url_path_is_a_clear_request_error(fresh):
    client = make_client(fresh, base_url=f"{fresh.base_url}/not-langfuse")
    with client, pytest.raises(LangfuseRequestError, match=r"HTTP 404.*Langfuse v4"):
        fetch_all(client)


def test_invalid_cursor_is_refused_not_retried(fresh):
    with make_client(fresh) as client:
        with pytest.raises(LangfuseRequestError, match="HTTP 400"):
            fetch_all(client, cursor="not-a-cursor")
        assert client.stats.requests == 1
