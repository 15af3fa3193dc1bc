"""raw_generations with sub-windows against a real serve-local: split, resumed, exactly once.

Splitting is forced on (split_latency_ms=0, small pages, small children) so a few thousand
rows exercise what a far network triggers on a million.
"""

import math
from datetime import timedelta
from itertools import pairwise

import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    loaded_ids,
    materialize,
    metadata,
    query,
    read_requests,
    spread_over,
    truth,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("ingest_windows")

ROWS, PAGE = 3000, 100
SPLIT = {"page_limit": PAGE, "max_concurrency": 4, "split_pages": 2, "split_latency_ms": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("windows")) as srv:
        yield srv


def windows_tile_the_day(database, day) -> list[tuple]:
    rows = query(
        database,
        "select window_from, window_to, status from ingest_windows where partition_date = ? "
        "order by window_from",
        [day],
    )
    assert rows[0][0] == day_start(day) and rows[-1][1] == day_start(day) + timedelta(days=1)
    assert all(a[1] == b[0] for a, b in pairwise(rows)), "windows overlap or leave a gap"
    return rows


def test_a_split_load_reads_each_generation_once(server, tmp_path):
    day = BASE_DAY - timedelta(days=20)
    server.inject(spread_over(day, ROWS, "split"))
    server.reset_stats()
    database = tmp_path / "w.duckdb"
    result = materialize(server, database, day, **SPLIT)
    assert result.success
    meta = metadata(result)
    assert loaded_ids(database, day) == truth(server, day)
    assert meta["rows_loaded"] == meta["rows_upserted_new"] == ROWS
    assert meta["rows_duplicate"] == 0
    windows = windows_tile_the_day(database, day)
    assert len(windows) > 2, "the day was not split"
    assert {status for _, _, status in windows} == {"complete"}
    # Each window ends with at most one partly filled page: few requests beyond the minimum.
    assert math.ceil(ROWS / PAGE) <= read_requests(server) <= math.ceil(ROWS / PAGE) + len(windows)
    assert meta["api_requests"] == read_requests(server)


def test_a_crash_after_the_split_resumes_each_sub_window_from_its_checkpoint(server, tmp_path):
    day = BASE_DAY - timedelta(days=21)
    server.inject(spread_over(day, ROWS, "resume-split"))
    database = tmp_path / "w.duckdb"
    server.reset_stats()
    full_pages = math.ceil(ROWS / PAGE)
    # A far network: the one-page batches are written before the next page arrives, so the
    # writer waits for pages and the window is split.
    server.set_knobs(page_latency_ms=60)
    try:
        crashed = materialize(server, database, day, stop_after_pages=8, batch_pages=1, **SPLIT)
    finally:
        server.set_knobs(page_latency_ms=0)
    assert not crashed.success
    before = windows_tile_the_day(database, day)
    assert len(before) > 2 and "open" in {status for _, _, status in before}
    assert len(loaded_ids(database, day)) < ROWS
    server.reset_stats()
    resumed = metadata(materialize(server, database, day, **SPLIT))
    assert resumed["mode"] == "resumed"
    assert read_requests(server) < full_pages  # committed pages are not fetched again
    assert loaded_ids(database, day) == truth(server, day)
    count, distinct = query(
        database,
        "select count(*), count(distinct id) from raw_generations where partition_date = ?",
        [day],
    )[0]
    assert count == distinct == ROWS
    assert {status for _, _, status in windows_tile_the_day(database, day)} == {"complete"}


def test_one_window_paged_sequentially_when_concurrency_is_one(server, tmp_path):
    day = BASE_DAY - timedelta(days=22)
    server.inject(spread_over(day, 1500, "sequential"))
    server.reset_stats()
    database = tmp_path / "w.duckdb"
    config = {**SPLIT, "max_concurrency": 1}
    assert materialize(server, database, day, **config).success
    assert read_requests(server) == math.ceil(1500 / PAGE)
    assert len(windows_tile_the_day(database, day)) == 1
    assert loaded_ids(database, day) == truth(server, day)


def test_more_ties_than_a_page_in_one_millisecond_load_when_split(server, tmp_path):
    # 2.5 pages of generations starting in the same millisecond: a child window ending just
    # after them gets pages of ties only. Before the fix that child was split again with nothing
    # finished, and its empty finished window broke the checkpoint (duplicate key) on every run.
    day = BASE_DAY - timedelta(days=23)
    instant = day_start(day) + timedelta(hours=12)
    ties = [
        observation(f"tie-{i:04d}", instant, traceId=f"trace-{i:04d}")
        for i in range(int(2.5 * PAGE))
    ]
    server.inject([*ties, *spread_over(day, ROWS, "around-ties")])
    database = tmp_path / "w.duckdb"
    result = materialize(server, database, day, **SPLIT)
    assert result.success
    assert loaded_ids(database, day) == truth(server, day)
    assert metadata(result)["rows_loaded"] == ROWS + len(ties)
    assert len(windows_tile_the_day(database, day)) > 2, "the day was not split"
