"""BatchStager: the next batch is staged on its own cursor while the previous one commits."""

from datetime import timedelta

import duckdb
import pytest

from cost_pipeline.assets.ingest_stager import BatchStager
from cost_pipeline.warehouse.loading_session import for_loading
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.spool import SpooledPage
from cost_pipeline.warehouse.state import ZERO_COUNTERS, start_load
from cost_pipeline.warehouse.upsert import commit_staged
from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT, WINDOW


@pytest.fixture
def conn(tmp_path):
    warehouse = for_loading(WarehouseResource(database=str(tmp_path / "w.duckdb")))
    with warehouse.get_connection() as connection:
        ensure_schema(connection)
        start_load(connection, DAY.date(), "full", [WINDOW], LOADED_AT)
        yield connection


def pages_of(stager, prefix: str, rows: int) -> list[SpooledPage]:
    start = DAY + timedelta(hours=4)
    body = page_bytes(
        [observation(f"{prefix}{i}", start + timedelta(seconds=i)) for i in range(rows)]
    )
    return stager.spool_pages([body])


def staged_ids(lane: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in lane.execute("select id from batch_rows").fetchall()}


def test_a_loading_cursor_stays_in_the_warehouse_catalog(conn):
    cursor = conn.cursor()
    try:
        assert cursor.execute("select current_database()").fetchone()[0] == "warehouse"
        assert cursor.execute("select count(*) from raw_generations").fetchone()[0] == 0
    finally:
        cursor.close()


def test_staging_ahead_keeps_the_first_batch_intact_until_it_commits(conn, stager):
    batches = BatchStager(conn, ahead=True)
    try:
        first = batches.stage(pages_of(stager, "a", 3)).result()
        second = batches.stage(pages_of(stager, "b", 5)).result()
        assert first.lane is not second.lane
        # Staging the second batch did not replace the first one's rows.
        assert staged_ids(first.lane) == {"a0", "a1", "a2"}
        assert staged_ids(second.lane) == {f"b{i}" for i in range(5)}
        done = commit_staged(
            first.lane, DAY.date(), first.pages, first.staged, first.loaded_at, ZERO_COUNTERS
        )
        done = commit_staged(
            second.lane, DAY.date(), second.pages, second.staged, second.loaded_at, done.counters
        )
    finally:
        batches.close()
    loaded = {row[0] for row in conn.execute("select id from raw_generations").fetchall()}
    assert loaded == {"a0", "a1", "a2"} | {f"b{i}" for i in range(5)}
    assert (done.counters.pages, done.counters.rows_loaded) == (2, 8)


def test_without_staging_ahead_every_batch_uses_the_load_connection_itself(conn, stager):
    batches = BatchStager(conn, ahead=False)
    try:
        first = batches.stage(pages_of(stager, "a", 2))
        assert first.done()  # staged before stage() returned
        second = batches.stage(pages_of(stager, "b", 2))
        assert first.result().lane is second.result().lane is conn
    finally:
        batches.close()


@pytest.mark.parametrize("ahead", [True, False])
def test_a_staging_failure_reaches_the_writer(conn, stager, ahead):
    missing = pages_of(stager, "gone", 1)
    stager.spool.discard(missing)  # the page file vanished before staging
    batches = BatchStager(conn, ahead=ahead)
    try:
        with pytest.raises(duckdb.IOException):
            batches.stage(missing).result()
    finally:
        batches.close()
    assert conn.execute("select count(*) from raw_generations").fetchone()[0] == 0
