"""Pages whose rows are fine but whose envelope is not the usual `{"data":[...],"meta":{...}}`.

A page without a `meta` object cannot say whether more pages follow: it is fetched again like
any malformed page, then stops the load with its checkpoint kept (never read as the last page,
which dropped the rest of the day). A valid page laid out differently (an extra top-level key,
pretty-printed) loads every row once (it was called "not valid JSON" on every try). Each load
is the real raw_generations asset against a real HTTP server on 127.0.0.1 (page_server.py).
"""

from datetime import UTC, datetime, timedelta

import orjson
import pytest

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

DAY = datetime.now(UTC).date() - timedelta(days=75)
ROWS = 10
# As in the review: two pages of five, paged sequentially.
RUN = {"page_limit": 5, "max_concurrency": 1, "max_attempts": 3}
SECOND_PAGE = "offset-5"


def without_meta(on: str | None, times: int | None) -> Envelope:
    """Page ``on`` (a request cursor) comes as `{"data":[...]}` the first ``times`` times
    (None: always), as the review's server sent it."""

    def envelope(cursor: str | None, rows: list[dict], meta: dict, asked: int) -> bytes:
        if cursor == on and (times is None or asked <= times):
            return orjson.dumps({"data": rows})
        return usual_envelope(cursor, rows, meta, asked)

    return envelope


def test_a_page_without_meta_is_fetched_again_and_the_day_loads_whole(tmp_path):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = without_meta(None, times=1)
        result = materialize_day(server, database, DAY, **RUN)
        assert result.success, failure_text(result)
        assert server.asked == {None: 2, SECOND_PAGE: 1}
        meta = metadata(result)
        assert (meta["rows_loaded"], meta["api_requests"], meta["retries"]) == (ROWS, 3, 1)
        assert_exactly_the_truth(server, database, DAY)


def test_a_page_that_never_has_meta_stops_the_load_with_its_checkpoint_kept(tmp_path):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = without_meta(SECOND_PAGE, times=None)
        result = materialize_day(server, database, DAY, **RUN)
        assert not result.success
        error = failure_text(result)
        assert "no `meta` object (`meta` is missing)" in error
        assert "LANGFUSE_BASE_URL" in error
        assert server.asked[SECOND_PAGE] == RUN["max_attempts"]
        # The first page is committed with its checkpoint; nothing of the second is written.
        assert len(ids_in(database, "raw_generations", DAY)) == 5
        assert ingest_state(database, DAY)["status"] == "failed"

        server.envelope = usual_envelope  # fixed: the next run resumes from the checkpoint
        result = materialize_day(server, database, DAY, **RUN)
        assert result.success, failure_text(result)
        assert server.asked[None] == 1  # not read again
        assert_exactly_the_truth(server, database, DAY)


def with_warnings(_cursor: str | None, rows: list[dict], meta: dict, _asked: int) -> bytes:
    """The review's page: a top-level key between data and meta, an array of objects."""
    return orjson.dumps({"data": rows, "warnings": [{"code": "deprecated"}], "meta": meta})


def pretty_with_warnings_on_page_2(
    cursor: str | None, rows: list[dict], meta: dict, asked: int
) -> bytes:
    """Page 1 as usual, page 2 indented with an empty `warnings` array: one batch, both kinds."""
    if cursor != SECOND_PAGE:
        return usual_envelope(cursor, rows, meta, asked)
    document = {"data": rows, "warnings": [], "meta": meta}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


@pytest.mark.parametrize("envelope", [with_warnings, pretty_with_warnings_on_page_2])
def test_a_valid_page_with_an_extra_top_level_key_loads_every_row_once(tmp_path, envelope):
    database = tmp_path / "w.duckdb"
    with serving(spread_over(DAY, ROWS, "g")) as server:
        server.envelope = envelope
        result = materialize_day(server, database, DAY, **RUN)
        assert result.success, failure_text(result)
        meta = metadata(result)
        assert (meta["rows_loaded"], meta["api_requests"], meta["retries"]) == (ROWS, 2, 0)
        assert_exactly_the_truth(server, database, DAY)
