"""DuckDB connections of a load: bounded memory, one thread, values written into the SQL.

Measured on a 1M-generation day (BENCHMARKS.md, loader section):
- one thread: a batch is ~40 MB of JSON, too little to gain from a second DuckDB thread, which
  cost ~25% more CPU-seconds per row, CPU the HTTP fetchers and a local Langfuse would rather
  have. One thread also keeps rows in file order, which staging relies on.
- memory_limit 128MB: without it DuckDB keeps every block it wrote cached (RSS grew to ~700 MB
  over the day); with it the loader stays flat from 100k to 1M rows. A 16,384-row group of
  unusually large rows may need more: set ``connection_config={"memory_limit": ...}`` on the
  warehouse resource, which wins over these defaults.
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
from cost_pipeline.warehouse.resource import WarehouseResource

LOADING_SETTINGS: dict[str, Any] = {
    "threads": 1,
    "memory_limit": "128MB",
    "allocator_flush_threshold": "16MB",
}


class InliningConnection:
    """A DuckDB connection whose ``execute`` writes the parameter values into the statement."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    def execute(self, query: str, parameters: Params = None) -> duckdb.DuckDBPyConnection:
        return self._conn.execute(inline(query, parameters))

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
