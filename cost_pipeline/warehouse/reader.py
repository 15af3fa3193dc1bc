"""Read-only access to the warehouse for notebooks, scripts and BI glue.

DuckDB lets one process write a database file and nobody else open it meanwhile, not even
read-only. A reader that arrives during a load therefore cannot get in; instead of DuckDB's lock
traceback it gets ``WarehouseBusy``, which says what is going on and what to read instead. A
reader that gets in sees committed data only: every load batch and every model partition is
written in one transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cost_pipeline import settings
from cost_pipeline.warehouse.dialect import reject_removed_syntax

_HOLDER_PID = re.compile(r"\(PID (\d+)\)")
_RETRY_EVERY_S = 0.2


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse right now."""


class WarehouseMissing(FileNotFoundError):
    """No warehouse file yet: nothing has been loaded into this location."""


@contextmanager
def read_only_connection(
    target: str | None = None, *, wait_s: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, waiting up to ``wait_s`` for a writer to let go of the file."""
    database = target or settings.warehouse_target()
    if _is_local_path(database) and not Path(database).exists():
        raise WarehouseMissing(
            f"No warehouse at {database} yet: materialize raw_generations first (or set "
            "COST_PIPELINE_WAREHOUSE / COST_PIPELINE_HOME to where the pipeline writes)."
        )
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = duckdb.connect(database, read_only=True)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(_busy_message(database, str(exc), wait_s)) from None
            time.sleep(_RETRY_EVERY_S)  # the writer holds the file for a batch at a time
    try:
        reject_removed_syntax(conn)
        yield conn
    finally:
        conn.close()


def _is_local_path(database: str) -> bool:
    # Connection strings (md:, s3://...) and :memory: are not files to look for.
    return database != ":memory:" and ":" not in database.split("/")[0]


def _busy_message(database: str, duckdb_error: str, wait_s: float) -> str:
    holder = _HOLDER_PID.search(duckdb_error)
    who = f"process {holder.group(1)}" if holder else "another process"
    waited = f" (waited {wait_s:g}s)" if wait_s else ""
    return (
        f"The warehouse {database} is being written by {who} right now, most likely a "
        f"pipeline run{waited}; DuckDB lets nobody else open it until that process lets go. "
        f"Read the exports under {settings.export_root()} instead (each file is replaced "
        "atomically, so it is always complete), or try again when the run has finished."
    )
