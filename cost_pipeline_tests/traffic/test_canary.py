"""The canary comparison on real DuckDB tables shaped like the ARCHITECTURE.md contract."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from cost_pipeline.assets.canary import _metadata
from cost_pipeline.traffic.canary import compare
from cost_pipeline.traffic.log_table import replace_batch
from cost_pipeline_tests.traffic.records_factory import DAY, traffic_records

# Only the raw_generations columns the canary reads (contract names and types).
RAW_DDL = """
create table raw_generations (
    id varchar primary key, partition_date date,
    uncached_input_tokens bigint, cache_read_tokens bigint, cache_write_tokens bigint,
    cache_write_1h_tokens bigint, visible_output_tokens bigint, reasoning_tokens bigint,
    reported_total_tokens bigint
)
"""
COPY_SENT = """
insert into raw_generations
select observation_id, partition_date, uncached_input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, visible_output_tokens, reasoning_tokens,
       total_tokens
from traffic_log
"""


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        replace_batch(connection, DAY, "run-a", traffic_records(6, "run-a"))
        connection.execute(RAW_DDL)
        yield connection


def test_everything_arrived(con):
    con.execute(COPY_SENT)
    result = compare(con, DAY, DAY + timedelta(days=1))
    assert result.passed and result.checked == 6


def test_missing_mismatched_and_wrong_day_are_named(con):
    con.execute(COPY_SENT)
    con.execute("delete from raw_generations where id = 'run-a-obs-0'")
    con.execute("update raw_generations set cache_read_tokens = 0 where id = 'run-a-obs-1'")
    con.execute(
        "update raw_generations set partition_date = partition_date + 1 where id = 'run-a-obs-2'"
    )
    result = compare(con, DAY, DAY + timedelta(days=1))
    assert not result.passed
    assert result.missing == ["run-a-obs-0"]
    assert [m.observation_id for m in result.mismatched] == ["run-a-obs-1"]
    assert result.mismatched[0].differences() == "cache_read 1024->0"
    assert result.wrong_day == ["run-a-obs-2"]
    metadata = _metadata(result)
    assert metadata["missing_ids"] == "run-a-obs-0"
    assert "cache_read 1024->0" in metadata["mismatched_ids"].value


def test_other_days_are_not_checked(con):
    result = compare(con, DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert result.passed and result.checked == 0


def test_no_traffic_log_passes_with_a_note(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as empty:
        result = compare(empty, DAY, DAY + timedelta(days=1))
    assert result.passed and not result.traffic_logged
    assert "llm_traffic has not run" in _metadata(result)["note"]


def test_without_raw_generations_everything_is_missing(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as only_log:
        replace_batch(only_log, DAY, "run-a", traffic_records(3, "run-a"))
        result = compare(only_log, DAY, DAY + timedelta(days=1))
    assert len(result.missing) == 3 and not result.passed
