"""Pages whose `meta` does not say "more pages follow" the way the v2 API does.

Real Langfuse leaves `cursor` out on the last page (`"meta": {}`). A proxy that sent
`"cursor": ""` instead ended the listing early: 3,000 of 5,000 rows lost with exit 0. Such a page
is now malformed: fetched again, then the load stops with its checkpoint kept. A server that
answers like the v1 page-numbered API (`page` < `totalPages`, no cursor) stops the load at once:
another try gets the same answer. Each load is the real raw_generations asset against a real
HTTP server on 127.0.0.1 (page_server.py).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cost_pipeline_tests.reliability.page_server import Envelope, serving, usual_envelope
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    failure_text,
    ids_in,
    ingest_state,
    materialize_day,
    metadata,
)
from cost_pipeline_tests.warehouse.loading import spread_over

DAY = datetime.now(UTC).date() - timedelta(days=76)
ROWS = 10
RUN = {"page_limit": 5, "max_concurrency": 1, "max_attempts": 3}
SECOND_PAGE = "offset-5"


def blank_cursor(times: int | None) -> Envelope:
    """The first page's `meta.cursor` comes as "" the first ``times`` times (None: always)."""

    def envelope(cursor: str | None, rows: list[dict[str, Any]], meta: dict, asked: int) -> bytes:
        if cursor is None and meta and (times is None or asked <= times):
            return orjson.dumps({"data": rows, "meta": {**meta, "cursor": ""}})
        return usual_envelope(cursor, rows, meta, asked)

    return envelope


def page_numbered(_cursor: str | None, rows: list[dict[str, Any]], _meta: dict, _n: int) -> bytes:
    """The first page as the v1 API writes it: numbered, no cursor."""
    meta = {"page": 1, "limit": 5, "totalItems": ROWS, "totalPages": 2}
    return orjson.dumps({"data": rows, "meta": meta})


def test_a_blank_cursor_once_is_fetched_again_and_the_day_loads_whole(tmp_path):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = blank_cursor(times=1)
        result = materialize_day(server, database, DAY, **RUN)
        assert result.success, failure_text(result)
        assert server.asked == {None: 2, SECOND_PAGE: 1}
        meta = metadata(result)
        assert (meta["rows_loaded"], meta["retries"]) == (ROWS, 1)
        assert_exactly_the_truth(server, database, DAY)


def test_a_blank_cursor_that_stays_fails_the_load_instead_of_ending_it(tmp_path):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = blank_cursor(times=None)
        result = materialize_day(server, database, DAY, **RUN)
        assert not result.success  # never "done" with half the day
        error = failure_text(result)
        assert "meta.cursor is an empty string" in error and "LANGFUSE_BASE_URL" in error
        assert "not at a proxy or gateway that alters its responses" in error
        assert "flaky network" not in error  # the server answered: not a network problem
        assert server.asked == {None: RUN["max_attempts"]}
        assert ids_in(database, "raw_generations", DAY) == []
        assert ingest_state(database, DAY)["status"] == "failed"

        server.envelope = usual_envelope  # the proxy fixed: the next run loads the whole day
        result = materialize_day(server, database, DAY, **RUN)
        assert result.success, failure_text(result)
        assert_exactly_the_truth(server, database, DAY)


def test_a_page_numbered_answer_fails_at_once_naming_the_v1_api(tmp_path):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = page_numbered
        result = materialize_day(server, database, DAY, **RUN)
        assert not result.success
        error = failure_text(result)
        assert "v1 page-numbered" in error and "page 1 of 2" in error
        assert server.asked == {None: 1}  # not retried: the same server answers the same way
        assert ids_in(database, "raw_generations", DAY) == []
