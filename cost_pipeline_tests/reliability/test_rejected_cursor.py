"""A checkpoint cursor Langfuse no longer accepts (it was upgraded between runs and the cursor
format changed): the window is read again from its start, not failed on every run until someone
runs full_refresh. A cursor Langfuse handed out in the same load and then refused is a server
fault: it still fails clearly (reading the window again each time would never end).

Each checkpoint comes from a real raw_generations materialization stopped after its second page,
as in assets/test_ingest_load.py; serve-local then answers the next request with HTTP 400. Each
test ends holding raw_generations to serve-local's own ids: every generation exactly once.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    day_start,
    failure_text,
    ids_in,
    ingest_state,
    log_messages,
    materialize_day,
    metadata,
)
from cost_pipeline_tests.warehouse.observations import observation

FIRST_DAY = datetime.now(UTC).date() - timedelta(days=90)
ROWS = 5000  # 5 pages of 1,000
# One window paged by one fetcher, so which request gets the 400 is certain.
RUN = {"max_concurrency": 1}
REFUSE_ONE = {"status": 400, "count": 1}
PASS_ONE = {"kind": "delay", "ms": 0}  # lets one request through untouched


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("rejected-cursor")) as srv:
        yield srv


@pytest.fixture
def fresh(server):
    server.set_knobs(fail_next=[])
    server.reset_stats()
    yield server
    server.set_knobs(fail_next=[])


def seed_day(server, offset: int) -> datetime.date:
    day = FIRST_DAY + timedelta(days=offset)
    step = timedelta(days=1) / ROWS
    server.inject(
        [observation(f"rc{offset}-{i:05d}", day_start(day) + step * i) for i in range(ROWS)]
    )
    return day


def crash_after_two_pages(server, database: Path, day) -> None:
    """A load stopped like a crash: 2 pages committed, the window's cursor checkpointed."""
    crashed = materialize_day(server, database, day, stop_after_pages=2, batch_pages=1, **RUN)
    assert not crashed.success
    assert ingest_state(database, day)["status"] == "failed"
    assert len(ids_in(database, "raw_generations", day)) == 2000


def test_a_saved_cursor_langfuse_refuses_is_dropped_and_its_window_read_from_the_start(
    fresh, tmp_path
):
    day = seed_day(fresh, 0)
    database = tmp_path / "w.duckdb"
    crash_after_two_pages(fresh, database, day)

    fresh.reset_stats()
    fresh.set_knobs(fail_next=[REFUSE_ONE])  # Langfuse upgraded: the saved cursor is refused
    with dg.DagsterInstance.ephemeral() as instance:
        resumed = materialize_day(fresh, database, day, instance=instance, **RUN)
        logs = log_messages(instance, resumed.run_id)
    assert resumed.success, failure_text(resumed)
    meta = metadata(resumed)
    assert meta["mode"] == "resumed"
    # The refused request, then all 5 pages of the window from its start; nothing retried.
    assert meta["api_requests"] == fresh.stats()["read_requests"] == 1 + 5
    assert meta["retries"] == 0
    # The 2,000 rows of the first load were read again and replaced, not added.
    assert (meta["rows_loaded"], meta["rows_upserted_new"]) == (5000, 3000)
    warnings = [line for line in logs if "saved cursor" in line]
    assert len(warnings) == 1, logs
    assert "HTTP 400" in warnings[0] and "re-read from its start" in warnings[0]
    assert_exactly_the_truth(fresh, database, day)


def test_a_cursor_refused_in_the_load_that_received_it_fails_clearly(fresh, tmp_path):
    day = seed_day(fresh, 1)
    database = tmp_path / "w.duckdb"
    fresh.set_knobs(fail_next=[PASS_ONE, REFUSE_ONE])  # page 2's cursor, just handed out
    failed = materialize_day(fresh, database, day, **RUN)
    assert not failed.success
    assert fresh.stats()["read_requests"] == 2  # not read again from the start
    message = failure_text(failed)
    assert "CursorRejectedError" in message and "(HTTP 400: Injected error" in message
    assert "handed out in this load" in message and "checkpoint is kept" in message
    assert ingest_state(database, day)["status"] == "failed"

    rerun = materialize_day(fresh, database, day, **RUN)
    assert rerun.success, failure_text(rerun)
    assert_exactly_the_truth(fresh, database, day)


def test_after_dropping_a_saved_cursor_a_refused_fresh_one_still_fails(fresh, tmp_path):
    day = seed_day(fresh, 2)
    database = tmp_path / "w.duckdb"
    crash_after_two_pages(fresh, database, day)

    fresh.reset_stats()
    # The saved cursor, then the cursor of the window's first page read again: both refused.
    fresh.set_knobs(fail_next=[REFUSE_ONE, PASS_ONE, REFUSE_ONE])
    failed = materialize_day(fresh, database, day, **RUN)
    assert not failed.success
    assert fresh.stats()["read_requests"] == 3  # the window is read from its start only once
    assert "handed out in this load" in failure_text(failed)

    rerun = materialize_day(fresh, database, day, **RUN)
    assert rerun.success, failure_text(rerun)
    assert_exactly_the_truth(fresh, database, day)
