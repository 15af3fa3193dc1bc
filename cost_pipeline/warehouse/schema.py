"""Create and migrate the warehouse tables the ingest asset owns.

Migrations are numbered SQL files applied once each, in order, recorded in ``schema_migrations``;
a change to a table adds a file (e.g. ``alter table ... add column if not exists``), never edits
an applied one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

import duckdb

from cost_pipeline.warehouse.prices import refresh_model_prices
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
    if _REPRICING_MIGRATIONS & set(applied):
        _price_stored_days(conn)
    return applied


# Migration 005 dropped the one-rate-per-model prices for rates per day, 007 the rates of tiered
# models for rates per tier of input size; every stored day without rates is priced again at
# once, so no view shows its generations unpriced until its models are rebuilt.
_REPRICING_MIGRATIONS = {5, 7}


def _price_stored_days(conn: duckdb.DuckDBPyConnection) -> None:
    first, last = conn.execute(
        "select min(partition_date), max(partition_date) from raw_generations"
    ).fetchone()
    if first is not None:
        refresh_model_prices(conn, first, last + timedelta(days=1))
