"""raw_generations within DuckDB's memory_limit: a batch that does not fit is split, a page that
does not fit gets more memory, and a limit the user set is never raised."""

from datetime import timedelta

import dagster as dg
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    loaded_ids,
    log_messages,
    materialize,
    query,
    truth,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("ingest_memory")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("ingest-memory")) as srv:
        yield srv


def large_rows(day, prefix: str, count: int, metadata_bytes: int) -> list[dict]:
    # An expanded metadata key reaches the loader whole: metadata_bytes of attribution per row.
    start = day_start(day) + timedelta(hours=6)
    return [
        observation(
            f"{prefix}-{i}",
            start + timedelta(seconds=i),
            metadata={"feature": f"{i}-" + "x" * metadata_bytes, "team": "t"},
        )
        for i in range(count)
    ]


def load_logging(server, database, day, **config):
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize(server, database, day, instance=instance, **config)
        return result, log_messages(instance, result.run_id)


def test_a_batch_too_large_for_the_limit_is_split_and_the_limit_kept(server, tmp_path):
    day = BASE_DAY - timedelta(days=1)
    # 8 pages of 500 rows of ~8 KB: ~32 MB of rows in one batch do not fit in 96MB beside
    # read_json's own ~38 MB; 4 pages do.
    server.inject(large_rows(day, "large", 4000, 8000), truncate_metadata=False)
    database = tmp_path / "w.duckdb"
    result, logged = load_logging(server, database, day, page_limit=500, batch_pages=8)
    assert result.success
    assert loaded_ids(database, day) == truth(server, day)
    assert query(database, "select count(*) - count(distinct id) from raw_generations")[0][0] == 0
    assert any("writing it as two batches of 4 and 4 page(s)" in line for line in logged), (
        "no batch needed splitting: make the rows bigger"
    )
    assert not any("running it again with" in line for line in logged)


def test_a_page_too_large_for_the_limit_gets_more_memory_and_loads(server, tmp_path):
    day = BASE_DAY - timedelta(days=2)
    # ~40 KB per row: a single 1000-row page needs more than the default 96MB.
    server.inject(large_rows(day, "huge", 2500, 40_000), truncate_metadata=False)
    database = tmp_path / "w.duckdb"
    result, logged = load_logging(server, database, day)
    assert result.success
    assert loaded_ids(database, day) == truth(server, day)
    assert any(
        "writing a batch of 1 page(s) needed more than DuckDB's memory_limit of 96MB" in line
        and "running it again with 192MB" in line
        for line in logged
    ), "no single page needed more memory: make the rows bigger"


def test_a_memory_limit_the_user_set_is_not_raised(server, tmp_path):
    day = BASE_DAY - timedelta(days=3)
    server.inject(large_rows(day, "capped", 2500, 40_000), truncate_metadata=False)
    database = tmp_path / "w.duckdb"
    result = materialize(server, database, day, connection_config={"memory_limit": "90MB"})
    assert not result.success
    error = str(result.get_step_failure_events()[0].event_specific_data.error)
    assert "memory_limit 90MB" in error and "connection_config" in error
    # Split down to one page that does not fit: fewer rows per page would help.
    assert "writing a batch of 1 page(s)" in error and "a lower page_limit" in error
    assert query(database, "select count(*) from raw_generations")[0][0] == 0
