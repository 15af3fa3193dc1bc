"""traffic_log batches in a real DuckDB file: retries replace, new runs add."""

from __future__ import annotations

import duckdb
import pytest

from cost_pipeline.traffic.log_table import replace_batch
from cost_pipeline_tests.traffic.records_factory import DAY, traffic_records


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def _counts(con) -> list[tuple]:
    return con.execute(
        "select batch_id, count(*) from traffic_log group by 1 order by 1"
    ).fetchall()


def test_rewriting_a_batch_never_doubles_it(con):
    replace_batch(con, DAY, "run-a", traffic_records(5, "run-a"))
    replace_batch(con, DAY, "run-a", traffic_records(5, "run-a"))
    assert _counts(con) == [("run-a", 5)]


def test_a_new_run_adds_its_own_batch(con):
    replace_batch(con, DAY, "run-a", traffic_records(5, "run-a"))
    replace_batch(con, DAY, "run-b", traffic_records(3, "run-b"))
    assert _counts(con) == [("run-a", 5), ("run-b", 3)]


def test_rows_carry_the_token_classes(con):
    records = traffic_records(2, "run-a")
    replace_batch(con, DAY, "run-a", records)
    row = con.execute(
        "select partition_date, uncached_input_tokens, cache_read_tokens, cache_write_tokens, "
        "visible_output_tokens, reasoning_tokens, total_tokens, usage_missing "
        "from traffic_log where call_index = 1"
    ).fetchone()
    assert row == (DAY, 101, 1024, 7, 20, 3, 101 + 1024 + 7 + 20 + 3, False)


def test_a_failed_write_keeps_the_previous_rows(con):
    replace_batch(con, DAY, "run-a", traffic_records(4, "run-a"))
    duplicate = traffic_records(2, "run-a")
    with pytest.raises(duckdb.ConstraintException):
        replace_batch(con, DAY, "run-a", [duplicate[0], duplicate[0]])
    assert _counts(con) == [("run-a", 4)]
