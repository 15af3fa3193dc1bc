"""Hold every connection to the SQL the next DuckDB release still reads.

DuckDB 2.0 removed the arrow lambda (``list_filter(tags, tag -> ...)``) in favour of
``lambda tag: ...``, which DuckDB 1.3 and later read too. The pinned 1.4 still accepts both, so
an arrow written today would only fail after an upgrade; the pipeline's connections reject it
now, with DuckDB's own message naming the new form.
"""

from __future__ import annotations

import duckdb


def reject_removed_syntax(conn: duckdb.DuckDBPyConnection) -> None:
    # A per-connection setting: DuckDB refuses it in connect()'s config.
    conn.execute("set lambda_syntax = 'DISABLE_SINGLE_ARROW'")
