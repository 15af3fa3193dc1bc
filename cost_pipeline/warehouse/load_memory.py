"""DuckDB's memory_limit over one load: the loader's small default, doubled when work runs out.

The default keeps a load's peak RSS flat and small (loading_session.py). A batch of unusually
large rows (say, 40 KB of metadata each) needs more: rather than fail the load, the statement
is rolled back (each batch and each end-of-load query is its own transaction) and run again with
twice the limit, which then holds for the rest of the load, up to MAX_AUTO_MEMORY_LIMIT_MB. A
limit the user set is theirs: it is never raised, and running out says which settings to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import duckdb

from cost_pipeline.warehouse.inline_params import sql_literal

DEFAULT_MEMORY_LIMIT_MB = 96
MAX_AUTO_MEMORY_LIMIT_MB = 1024

T = TypeVar("T")


class LoadOutOfMemoryError(RuntimeError):
    """Work needed more memory than the load may use; the message names the settings."""


class LoadMemory:
    def __init__(self, adjustable: bool) -> None:
        self.adjustable = adjustable  # False: the user set memory_limit
        self.limit_mb = DEFAULT_MEMORY_LIMIT_MB

    def apply(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Carry a raised limit over to a newly opened connection."""
        if self.adjustable and self.limit_mb != DEFAULT_MEMORY_LIMIT_MB:
            conn.execute(f"set memory_limit = {sql_literal(f'{self.limit_mb}MB')}")

    def run(
        self,
        conn: duckdb.DuckDBPyConnection,
        work: Callable[[], T],
        what: str,
        warn: Callable[[str], None],
    ) -> T:
        """``work()`` (which must roll back what it did when it fails), again with twice the
        memory each time DuckDB runs out, as far as this load may go."""
        while True:
            try:
                return work()
            except duckdb.OutOfMemoryException as exc:
                before = self.limit_mb
                if not self.adjustable or before * 2 > MAX_AUTO_MEMORY_LIMIT_MB:
                    raise LoadOutOfMemoryError(
                        f"DuckDB ran out of memory {what} within memory_limit {before}MB "
                        f"({exc}). Set a higher memory_limit in the warehouse resource's "
                        "connection_config, or a lower batch_pages in the raw_generations run "
                        "config."
                    ) from exc
                self.limit_mb = before * 2
                self.apply(conn)
                warn(
                    f"{what} needed more than DuckDB's memory_limit of {before}MB (unusually "
                    f"large rows); running it again with {self.limit_mb}MB, kept for the rest "
                    "of this load"
                )
