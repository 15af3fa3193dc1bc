"""The secret key pasted into LANGFUSE_BASE_URL's path or query (a shell variable in the wrong
place) reaches no message: not the client's errors and retry warnings, not a Dagster run's events.

Every message leaves the client through one scrubber, so this holds for the 404 the audit found
and for any message that names the URL (here also a give-up after retries, from a server that
answers 502 on any path).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from cost_pipeline.langfuse import (
    LangfuseError,
    LangfuseRequestError,
    LangfuseUnavailableError,
    ObservationsClient,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection, mask_key
from cost_pipeline_tests.conftest import LocalServer, start_serve_local
from cost_pipeline_tests.langfuse.crafted_client import WINDOW
from cost_pipeline_tests.langfuse.crafted_server import Answer, crafted_server
from cost_pipeline_tests.langfuse.leaks import PUBLIC, SECRET, leaked
from cost_pipeline_tests.reliability.support import failure_text, materialize_day, query
from cost_pipeline_tests.warehouse.loading import BASE_DAY

# As a shell writes LANGFUSE_BASE_URL="http://host/$LANGFUSE_SECRET_KEY", or in a query string.
PLACES = {"path": "/{secret}", "query": "/?key={secret}"}


class Warnings:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: str) -> None:
        self.lines.append(msg)


@dataclass(frozen=True)
class Target:
    """What the loading helpers need of a server: where it is and the keys it takes."""

    base_url: str
    public_key: str = PUBLIC
    secret_key: str = SECRET


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    keys = {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET}
    with start_serve_local(Path(tmp_path_factory.mktemp("url-secret")), env=keys) as srv:
        yield srv


def failure_of(
    base_url: str, error: type[LangfuseError], attempts: int = 8
) -> tuple[str, list[str]]:
    warnings = Warnings()
    policy = RetryPolicy(base_delay_s=0.01, max_attempts=attempts)
    connection = LangfuseConnection(base_url, PUBLIC, SECRET)
    client = ObservationsClient(connection, policy=policy, log=warnings)
    with client, pytest.raises(error) as failure:
        list(client.fetch_window(WINDOW))
    assert leaked(repr(client)) == []
    return str(failure.value), warnings.lines


@pytest.mark.parametrize("place", PLACES)
def test_a_404_names_the_url_with_the_secret_masked(server, place):
    server.set_knobs(fail_next=[])
    message, _ = failure_of(server.base_url + PLACES[place].format(secret=SECRET), LangfuseError)
    assert "HTTP 404" in message
    assert mask_key(SECRET) in message  # the URL is shown, with the key as its usual mask
    assert leaked(message) == []


def test_a_give_up_after_retries_names_the_url_with_the_secret_masked():
    # serve-local routes before it injects faults; this server answers 502 on any path.
    bad_gateway = Answer(502, b"Bad Gateway", {"Content-Type": "text/plain"})
    with crafted_server([bad_gateway], public_key=PUBLIC, secret_key=SECRET) as gateway:
        base_url = gateway.base_url + PLACES["path"].format(secret=SECRET)
        message, warnings = failure_of(base_url, LangfuseUnavailableError, attempts=3)
    assert "failed 3 times" in message and mask_key(SECRET) in message
    assert len(warnings) == 2
    assert [leaked(text) for text in (message, *warnings)] == [[], [], []]


def test_no_event_of_a_dagster_run_shows_the_secret(server, tmp_path):
    server.set_knobs(fail_next=[])
    database = tmp_path / "w.duckdb"
    target = Target(server.base_url + PLACES["path"].format(secret=SECRET))
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize_day(target, database, BASE_DAY, instance=instance)
        events = [repr(entry) for entry in instance.all_logs(result.run_id)]
    assert not result.success
    failure = failure_text(result)
    assert LangfuseRequestError.__name__ in failure and "HTTP 404" in failure
    recorded = [row[0] for row in query(database, "select error from ingest_runs")]
    texts = {"failure": failure, "events": "\n".join(events), "ingest_runs": "\n".join(recorded)}
    assert mask_key(SECRET) in texts["events"]  # positive control: the scan read the failure
    assert {place: found for place, text in texts.items() if (found := leaked(text))} == {}
