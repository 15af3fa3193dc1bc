"""DuckDB connections of a load: bounded memory, one thread, values written into the SQL.

Measured on a 1M-generation day (BENCHMARKS.md, loader section):
- one thread: a batch is ~40 MB of JSON, too little to gain from a second DuckDB thread, which
  cost ~25% more CPU-seconds per row, CPU the HTTP fetchers and a local Langfuse would rather
  have. One thread also keeps rows in file order, which the careful path relies on.
- memory_limit: without one DuckDB keeps every block it wrote cached (RSS grew to ~700 MB over
  the day); with it the loader stays flat from 100k to 1M rows. A 25-page batch staged by the
  careful path needs 128MB (its ~25,000 staged rows take ~50 MB, the insert the rest). A
  16,384-row group of unusually large rows may need more: set
  ``connection_config={"memory_limit": ...}`` on the warehouse resource, which wins over these
  defaults.
- allocator_flush_threshold: return freed memory to the OS after each query instead of
  keeping up to 128 MB cached in the allocator.
- parameters inlined (inline_params.py): binding a value through DuckDB's Python client
  imports pandas when it is installed (+75-90 MB RSS, ~0.5 s); a load never needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import duckdb

from cost_pipeline.warehouse.inline_params import Params, inline
from cost_pipeline.warehouse.resource import ATTACHED_AS, WarehouseResource

LOADING_SETTINGS: dict[str, Any] = {
    "threads": 1,
    "allocator_flush_threshold": "16MB",
    "memory_limit": "128MB",
}


class InliningConnection:
    """A DuckDB connection whose ``execute`` writes the parameter values into the statement."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    def execute(self, query: str, parameters: Params = None) -> duckdb.DuckDBPyConnection:
        return self._conn.execute(inline(query, parameters))

    def cursor(self) -> InliningConnection:
        """Another connection to the same database, in the same catalog, with its own temp
        tables and macros; its queries can run on another thread at the same time."""
        sibling = self._conn.cursor()
        row = self._conn.execute("select current_database()").fetchone()
        if row and row[0] == ATTACHED_AS:
            sibling.execute(f"use {ATTACHED_AS}")  # a cursor starts in the default catalog
        return InliningConnection(sibling)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class LoadingWarehouse(WarehouseResource):
    """The warehouse as a load uses it: connections that never bind Python values."""

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection(read_only) as conn:
            yield cast(duckdb.DuckDBPyConnection, InliningConnection(conn))


def for_loading(warehouse: WarehouseResource) -> WarehouseResource:
    """The same warehouse, with the loading settings under any the user configured."""
    return LoadingWarehouse(
        database=warehouse.database,
        connection_config={**LOADING_SETTINGS, **warehouse.connection_config},
    )
