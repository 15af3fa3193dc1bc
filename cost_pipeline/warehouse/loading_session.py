"""DuckDB settings for the connections of a load: bounded memory, one thread.

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
"""

from __future__ import annotations

from typing import Any

from cost_pipeline.warehouse.resource import WarehouseResource

LOADING_SETTINGS: dict[str, Any] = {
    "threads": 1,
    "memory_limit": "128MB",
    "allocator_flush_threshold": "16MB",
}


def for_loading(warehouse: WarehouseResource) -> WarehouseResource:
    """The same warehouse, with the loading settings under any the user configured."""
    return WarehouseResource(
        database=warehouse.database,
        connection_config={**LOADING_SETTINGS, **warehouse.connection_config},
    )
