"""DuckDB connections of a load: bounded memory, one thread, values written into the SQL.

Measured on a 1M-generation day (BENCHMARKS.md, loader section):
- one thread: a batch is ~40 MB of JSON, too little to gain from a second DuckDB thread, which
  cost ~25% more CPU-seconds per row, CPU the HTTP fetchers and a local Langfuse would rather
  have. One thread also keeps rows in file order, which the careful path relies on.
- memory_limit: without one DuckDB keeps every block it wrote cached (RSS grew to ~700 MB over
  the day); with it the loader stays flat from 100k to 1M rows. A one-pass batch of typical
  rows (~1.6 KB) needs ~76-80MB up to 16 pages and ~90-92MB from 17 pages on, however many:
  read_json's reader holds ~38 MB whatever it reads, and DuckDB keeps the rows until 16,384 of
  them make a row group, which it then compresses and writes. Smaller batches are no cheaper
  once past that, and cost CPU: 16-page batches took ~6 CPU-s more per 1M rows than 25-page
  ones. A batch that runs out is split, and past a few splits the limit is doubled
  (load_memory.py). A ``memory_limit`` set in the warehouse resource's ``connection_config``
  wins over these defaults and is never raised.
- allocator_flush_threshold / allocator_bulk_deallocation_flush_threshold: return freed memory
  to the OS after each query and after each large free instead of keeping it cached in the
  allocator (the second: ~15-20 MB less peak RSS for ~1 s more system CPU per 1M rows).
- parameters inlined, as on every warehouse connection (resource.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from cost_pipeline.warehouse.inline_params import sql_literal
from cost_pipeline.warehouse.load_memory import DEFAULT_MEMORY_LIMIT_MB
from cost_pipeline.warehouse.resource import WarehouseResource

LOADING_SETTINGS: dict[str, Any] = {
    "threads": 1,
    "memory_limit": f"{DEFAULT_MEMORY_LIMIT_MB}MB",
    "allocator_flush_threshold": "16MB",
    "allocator_bulk_deallocation_flush_threshold": "1MB",
}


class LoadingWarehouse(WarehouseResource):
    """The warehouse as a load uses it: bounded memory, one thread."""

    # The memory_limit the user set, if any: the loader's default may be raised when work of
    # unusually large rows needs more, the user's never is.
    user_memory_limit: str | None = None


def for_loading(warehouse: WarehouseResource) -> LoadingWarehouse:
    """The same warehouse, with the loading settings under any the user configured."""
    return LoadingWarehouse(
        database=warehouse.database,
        connection_config={**LOADING_SETTINGS, **warehouse.connection_config},
        user_memory_limit=(
            str(warehouse.connection_config["memory_limit"])
            if "memory_limit" in warehouse.connection_config
            else None
        ),
    )


@contextmanager
def at_least_threads(conn: duckdb.DuckDBPyConnection, threads: int) -> Iterator[None]:
    """Run a statement on ``threads`` DuckDB threads (or the connection's own, if more).

    For a scan that runs alone, after the writing is done: the single-thread reasons above are
    about sharing the cores with the fetchers and keeping file order while writing.
    """
    (before,) = conn.execute("select current_setting('threads')").fetchone()
    conn.execute(f"set threads = {sql_literal(max(int(before), threads))}")
    try:
        yield
    finally:
        conn.execute(f"set threads = {sql_literal(int(before))}")
