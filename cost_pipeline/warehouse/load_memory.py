"""DuckDB's memory_limit over one load: the loader's small default, kept whenever work can be
split, doubled when it cannot.

The default keeps a load's peak RSS flat and small (loading_session.py). Work that runs out of it
is rolled back (each batch and each end-of-load query is its own transaction). A batch of several
pages is then written as smaller batches within the same limit (WorkTooLarge), so one batch of
larger-than-usual rows does not raise the memory the rest of the load holds. When that keeps
happening (the day's rows are all large, and every failed attempt is work thrown away), or work
cannot be split (one page, an end-of-load query), it runs again with twice the limit, which then
holds for the rest of the load, up to MAX_AUTO_MEMORY_LIMIT_MB. A limit the user set is theirs: it
is never raised. Past either limit, work is split as far as it goes, and only work that cannot be
split fails the load, with a message naming the settings to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import duckdb

from cost_pipeline.warehouse.inline_params import sql_literal

DEFAULT_MEMORY_LIMIT_MB = 96
MAX_AUTO_MEMORY_LIMIT_MB = 1024
# Splits a load makes within the default limit before it doubles the limit instead.
MAX_SPLITS_BEFORE_RAISING = 4

T = TypeVar("T")


class LoadOutOfMemoryError(RuntimeError):
    """Work needed more memory than the load may use; the message names the settings."""


class WorkTooLarge(Exception):
    """Divisible work ran out of memory and was rolled back: do it in smaller pieces."""


class LoadMemory:
    def __init__(self, user_limit: str | None = None) -> None:
        """``user_limit``: the memory_limit the user set in the warehouse resource, if any."""
        self.user_limit = user_limit
        self.adjustable = user_limit is None
        self.limit_mb = DEFAULT_MEMORY_LIMIT_MB
        self.splits = 0

    @property
    def limit_text(self) -> str:
        return f"{self.limit_mb}MB" if self.user_limit is None else self.user_limit

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
        divisible: bool = False,
        remedy: str = "",
    ) -> T:
        """``work()`` (which must roll back what it did when it fails), again with twice the
        memory each time DuckDB runs out, as far as this load may go. Divisible work that runs
        out raises WorkTooLarge instead while this load may still split, and always once the
        limit can grow no more. ``remedy``: another setting that would help, for the error."""
        while True:
            try:
                return work()
            except duckdb.OutOfMemoryException as exc:
                before = self.limit_mb
                can_grow = self.adjustable and before * 2 <= MAX_AUTO_MEMORY_LIMIT_MB
                if divisible and (not can_grow or self.splits < MAX_SPLITS_BEFORE_RAISING):
                    self.splits += 1
                    raise WorkTooLarge(
                        f"{what} needed more than DuckDB's memory_limit of {self.limit_text}"
                    ) from exc
                if not can_grow:
                    raise LoadOutOfMemoryError(
                        f"DuckDB ran out of memory {what} within memory_limit {self.limit_text} "
                        f"({exc}). Set a higher memory_limit in the warehouse resource's "
                        f"connection_config{remedy}."
                    ) from exc
                self.limit_mb = before * 2
                self.apply(conn)
                warn(
                    f"{what} needed more than DuckDB's memory_limit of {before}MB (unusually "
                    f"large rows); running it again with {self.limit_mb}MB, kept for the rest "
                    "of this load"
                )
