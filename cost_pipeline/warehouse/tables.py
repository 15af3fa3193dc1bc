"""Whether a table exists yet: readers of tables other assets create ask before they read."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])
