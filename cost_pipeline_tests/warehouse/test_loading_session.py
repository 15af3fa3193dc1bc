"""at_least_threads: a statement that runs alone gets more DuckDB threads, and the connection
gets its own setting back afterwards, also when the statement fails."""

import duckdb
import pytest

from cost_pipeline.warehouse.loading_session import at_least_threads


def threads_of(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute("select current_setting('threads')").fetchone()[0])


def test_one_thread_connection_runs_the_block_on_two_and_gets_one_back():
    with duckdb.connect(config={"threads": 1}) as conn:
        with at_least_threads(conn, 2):
            assert threads_of(conn) == 2
        assert threads_of(conn) == 1


def test_a_connection_with_more_threads_keeps_them():
    with duckdb.connect(config={"threads": 3}) as conn:
        with at_least_threads(conn, 2):
            assert threads_of(conn) == 3
        assert threads_of(conn) == 3


def test_the_setting_is_restored_when_the_statement_fails():
    with duckdb.connect(config={"threads": 1}) as conn:
        with pytest.raises(duckdb.CatalogException), at_least_threads(conn, 2):
            conn.execute("select * from no_such_table")
        assert threads_of(conn) == 1
