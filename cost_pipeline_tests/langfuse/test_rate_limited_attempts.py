"""A request that keeps being rate-limited until its attempts run out says so, and names the
settings that pace the load (not the network's), as the retry budget's own 429 error does."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cost_pipeline.langfuse import (
    LangfuseUnavailableError,
    ObservationsClient,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.conftest import LocalServer, start_serve_local
from cost_pipeline_tests.langfuse.crafted_client import WINDOW

ATTEMPTS = 3
# retry_after 0: serve-local's 429 asks for no wait, so the test does not sleep for seconds.
THROTTLED = {"status": 429, "retry_after": 0}
PACING = ("COST_PIPELINE_REQUESTS_PER_MINUTE", "requests_per_minute", "max_attempts")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with start_serve_local(Path(tmp_path_factory.mktemp("throttled"))) as srv:
        yield srv


def give_up_message(server: LocalServer, faults: list[dict[str, object]]) -> str:
    server.set_knobs(fail_next=faults)
    connection = LangfuseConnection(server.base_url, server.public_key, server.secret_key)
    policy = RetryPolicy(base_delay_s=0.01, max_attempts=ATTEMPTS)
    with (
        ObservationsClient(connection, policy=policy) as client,
        pytest.raises(LangfuseUnavailableError) as failure,
    ):
        list(client.fetch_window(WINDOW))
    assert client.stats.requests == ATTEMPTS
    return str(failure.value)


@pytest.mark.parametrize(
    "faults",
    [
        [{**THROTTLED, "count": 10}],  # the audit's case: every attempt throttled
        [{**THROTTLED, "count": 2}, {"status": 502}],  # most attempts throttled, the last not
    ],
    ids=["all-429", "mostly-429"],
)
def test_attempts_used_up_by_429s_point_at_the_rate_limit(server, faults):
    message = give_up_message(server, faults)
    assert f"failed {ATTEMPTS} times in a row" in message
    assert "rate-limited (HTTP 429)" in message
    assert all(setting in message for setting in PACING), message
    assert "max_retry_wait_s" in message
    assert "reachable" not in message and "flaky network" not in message


def test_attempts_used_up_mostly_by_server_errors_still_point_at_the_network(server):
    message = give_up_message(server, [THROTTLED, {"status": 502, "count": 2}])
    assert "HTTP 502" in message and "reachable" in message
    assert "COST_PIPELINE_REQUESTS_PER_MINUTE" not in message
