"""Which storage format a DuckDB file is in, as any reader of the file sees it."""

from __future__ import annotations

from pathlib import Path

import duckdb


def storage_version(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """E.g. ``v1.3.0+``: the format of the file at ``path``, opened by ``con``."""
    (tags,) = con.execute(
        "select tags from duckdb_databases() where path = ?", [str(path)]
    ).fetchone()
    return tags["storage_version"]
