"""One DuckDB transaction around a block: committed when the block ends, rolled back when it raises.

A commit that fails (a constraint checked at commit, running out of memory or disk while
writing) has already ended the transaction, and a rollback then raises "no transaction is
active", which would replace the error that matters. So the rollback's own complaint about a
transaction that is already gone is dropped, and the original error goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    conn.execute("begin")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.TransactionException):
            conn.execute("rollback")
        raise
