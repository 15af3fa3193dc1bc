"""A warehouse as an older version of the loader left it: only its first migrations applied."""

from __future__ import annotations

import duckdb

from cost_pipeline.warehouse.schema import migration_files
from cost_pipeline.warehouse.sql_files import read_sql


def apply_first_migrations(conn: duckdb.DuckDBPyConnection, count: int) -> None:
    conn.execute(
        "create table schema_migrations (version integer primary key, name varchar, "
        "applied_at timestamp)"
    )
    for version, name in migration_files()[:count]:
        conn.execute(read_sql(name))
        conn.execute("insert into schema_migrations values (?, ?, now())", [version, name])
