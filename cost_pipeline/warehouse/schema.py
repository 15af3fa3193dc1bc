"""Create and migrate the warehouse tables the ingest asset owns.

Migrations are numbered SQL files applied once each, in order, recorded in ``schema_migrations``;
a change to a table adds a file (e.g. ``alter table ... add column if not exists``), never edits
an applied one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import duckdb

from cost_pipeline.warehouse.sql_files import read_sql
from cost_pipeline.warehouse.transaction import transaction


def migration_files() -> list[tuple[int, str]]:
    folder = resources.files("cost_pipeline.warehouse").joinpath("sql", "migrations")
    numbered = [
        (int(entry.name.split("_", 1)[0]), f"migrations/{entry.name}")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(numbered)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations; returns the versions applied now (empty when up to date)."""
    conn.execute(
        "create table if not exists schema_migrations "
        "(version integer primary key, name varchar, applied_at timestamp)"
    )
    done = {row[0] for row in conn.execute("select version from schema_migrations").fetchall()}
    applied = []
    for version, path in migration_files():
        if version in done:
            continue
        with transaction(conn):
            conn.execute(read_sql(path))
            conn.execute(
                "insert into schema_migrations values (?, ?, ?)",
                [version, path, datetime.now(UTC).replace(tzinfo=None)],
            )
        applied.append(version)
    return applied
