"""transaction(): commit on success, rollback on failure, and a failed commit's own error kept."""

import duckdb
import pytest

from cost_pipeline.warehouse.transaction import transaction


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "t.duckdb")) as connection:
        connection.execute("create table t (id integer primary key)")
        yield connection


def test_the_block_is_committed(conn):
    with transaction(conn):
        conn.execute("insert into t values (1)")
    assert conn.execute("select count(*) from t").fetchone() == (1,)


def test_an_error_in_the_block_rolls_it_back(conn):
    with pytest.raises(ZeroDivisionError), transaction(conn):
        conn.execute("insert into t values (1)")
        _ = 1 / 0
    assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_a_commit_that_fails_raises_its_own_error(conn):
    # Two transactions insert the same key; the one committing second fails at commit, and
    # DuckDB has then ended it: a rollback would raise "no transaction is active" instead.
    other = conn.cursor()
    failed_commit = pytest.raises(duckdb.TransactionException, match=r"Failed to commit.*duplicate")
    with failed_commit, transaction(conn):
        conn.execute("insert into t values (1)")
        with transaction(other):
            other.execute("insert into t values (1)")
    assert conn.execute("select count(*) from t").fetchone() == (1,)
    with transaction(conn):  # the connection is usable afterwards
        conn.execute("insert into t values (2)")
    assert conn.execute("select count(*) from t").fetchone() == (2,)
