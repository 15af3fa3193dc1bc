"""read_only_connection: a clear message while another process writes, a snapshot otherwise."""

import duckdb
import pytest

from cost_pipeline.warehouse.reader import WarehouseBusy, WarehouseMissing, read_only_connection
from cost_pipeline_tests.warehouse.file_holder import hold_file


@pytest.fixture
def writer(tmp_path):
    database = tmp_path / "w.duckdb"
    process = hold_file(database, read_only=False)
    yield database, process
    process.stdin.close()
    process.wait(30)


def test_a_reader_during_a_write_gets_a_clear_message(writer, monkeypatch, tmp_path):
    database, process = writer
    monkeypatch.setenv("COST_PIPELINE_EXPORT_DIR", str(tmp_path / "exports"))
    with pytest.raises(WarehouseBusy) as busy, read_only_connection(str(database)):
        pass
    message = str(busy.value)
    assert f"being written by process {process.pid}" in message
    assert f"Read the exports under {tmp_path / 'exports'}" in message


def test_a_reader_that_waits_gets_in_once_the_writer_lets_go(writer):
    database, process = writer
    process.stdin.close()  # the writer finishes while the reader waits
    with read_only_connection(str(database), wait_s=30) as con:
        assert con.execute("select answer from t").fetchone() == (42,)


def test_a_missing_warehouse_says_what_to_do(tmp_path):
    missing = str(tmp_path / "nothing.duckdb")
    with pytest.raises(WarehouseMissing, match="materialize raw_generations first"):
        read_only_connection(missing).__enter__()


def test_other_errors_are_not_disguised_as_busy(tmp_path):
    not_a_database = tmp_path / "text.duckdb"
    not_a_database.write_text("hello")
    with pytest.raises(duckdb.Error), read_only_connection(str(not_a_database)):
        pass
