"""The DuckDB warehouse as a Dagster resource.

DuckDB allows one writing process per file, so every asset or check that writes runs in the
``duckdb_writer`` pool (limit 1) and holds a connection only around its SQL, never across HTTP.

A local file is attached with 16,384-row row groups (DuckDB's default is 122,880). The loader
commits ~25,000 rows per transaction; with the default, every commit rewrites the table's
unfinished last row group, so a 1M-row day compressed each row ~5 times (measured: write CPU
12.7 s -> 5.8 s for 1M rows). Every connection must use the same size: DuckDB merges row groups
of another size whenever a connection with a different setting checkpoints.

A new local file is written in DuckDB's v1.3.0 storage format (DuckDB's own default for a new
file is v1.0.0, for readers older than 1.3), which lets text columns use dictionary + FSST
compression: a 1M-row day takes 194 MB instead of 280 MB, and its load ~14% less CPU
(BENCHMARKS.md). The format is fixed when the file is created, so an existing warehouse keeps its
own; ``storage_compatibility_version`` in ``connection_config`` picks another for a new file.
Anything else (MotherDuck ``md:``, ``:memory:``) reaches ``duckdb.connect`` unchanged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from cost_pipeline import settings
from cost_pipeline.warehouse.dialect import reject_removed_syntax
from cost_pipeline.warehouse.inline_params import InliningConnection, sql_literal

WRITER_POOL = "duckdb_writer"
# Runs with this tag wait in Dagster's run queue while another such run is in progress (the
# instance's dagster.yaml limits it to 1): queued, a run has no process, where one started
# behind the pool slot keeps a core busy polling for it (Dagster 1.13).
WAREHOUSE_RUN_TAG = "cost_pipeline/writes_warehouse"
ROW_GROUP_SIZE = 16_384
# The oldest format with dictionary + FSST text compression; DuckDB 1.3 (May 2025) reads it.
NEW_FILE_STORAGE_VERSION = "v1.3.0"
ATTACHED_AS = "warehouse"
# How long a step waits for another process (a BI tool, a notebook, a step outside the pool) to
# let go of the file, and the longest pause between two attempts: a doubling back-off left a
# step waiting up to twice as long as the file was held, with nothing in its log.
LOCK_WAIT_S = 100.0
LOCK_POLL_MAX_S = 0.5
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")


class WarehouseLockedError(RuntimeError):
    """Another process holds the file: worth waiting for (a BI reader, a finishing step)."""


class WarehouseUnavailableError(RuntimeError):
    """The warehouse cannot be opened at all; the message names the setting to fix."""


def is_local_file(target: str) -> bool:
    """A filesystem path, as opposed to ``:memory:`` or a connection string (``md:``, ``s3://``)."""
    return target != ":memory:" and "://" not in target and ":" not in target.split("/")[0]


class WarehouseResource(DuckDBResource):
    """DuckDBResource whose default target follows COST_PIPELINE_WAREHOUSE / COST_PIPELINE_HOME."""

    database: str = Field(
        default="",
        description="DuckDB path or connection string; empty means COST_PIPELINE_WAREHOUSE, "
        "else $COST_PIPELINE_HOME/warehouse.duckdb, resolved when a connection opens.",
    )

    def target(self) -> str:
        return self.database or settings.warehouse_target()

    def setting_name(self) -> str:
        """Where the target came from, for error messages."""
        if self.database:
            return "the warehouse resource's `database`"
        return "COST_PIPELINE_WAREHOUSE (default: $COST_PIPELINE_HOME/warehouse.duckdb)"

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        target = self.target()
        config: dict[str, Any] = {"custom_user_agent": "cost_pipeline", **self.connection_config}
        if is_local_file(target):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            # Spill files beside the warehouse, as a direct connect to the file would put them.
            config.setdefault("temp_directory", f"{target}.tmp")
            config.setdefault("storage_compatibility_version", NEW_FILE_STORAGE_VERSION)
        # Another process may hold the file for a while (a BI reader, a finishing step): wait
        # for it, saying so in the step's log, instead of failing the step at once.
        conn = self._open_when_free(target, read_only, config)
        try:
            # Values are written into the SQL, never bound: binding imports pandas in every run
            # process where it is installed (inline_params.py).
            yield cast(duckdb.DuckDBPyConnection, InliningConnection(conn))
        finally:
            conn.close()

    def _open_when_free(
        self, target: str, read_only: bool, config: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.05
        while True:
            try:
                return self._open(target, read_only, config)
            except WarehouseLockedError as locked:
                if time.monotonic() + pause > deadline:
                    raise
                if pause == 0.05:
                    dg.get_dagster_logger().warning(_lock_message(target, str(locked)))
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_MAX_S)

    def _open(
        self, target: str, read_only: bool, config: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        try:
            if not is_local_file(target):
                conn = duckdb.connect(database=target, read_only=read_only, config=config)
                with _closed_on_error(conn):
                    reject_removed_syntax(conn)
                return conn
            conn = duckdb.connect(":memory:", config=config)
            with _closed_on_error(conn):
                reject_removed_syntax(conn)
                options = f"row_group_size {ROW_GROUP_SIZE}" + (", read_only" if read_only else "")
                conn.execute(f"attach {sql_literal(target)} as {ATTACHED_AS} ({options})")
                conn.execute(f"use {ATTACHED_AS}")
            return conn
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
                raise WarehouseLockedError(str(exc)) from exc
            raise WarehouseUnavailableError(self._explain(target, exc)) from exc

    def _explain(self, target: str, exc: duckdb.Error) -> str:
        hint = ""
        if target.startswith("md:"):
            hint = (
                " MotherDuck needs DuckDB's motherduck extension (downloaded on first use) and "
                "a token (motherduck_token in the connection string or MOTHERDUCK_TOKEN)."
            )
        return redact(
            f"Cannot open the DuckDB warehouse {target!r}, set by {self.setting_name()}: "
            f"{type(exc).__name__}: {exc}.{hint}"
        )


@contextmanager
def _closed_on_error(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        conn.close()
        raise


_TOKEN_VALUE = re.compile(r"(token=)[^&;\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Hide token values a connection string may carry (``md:db?motherduck_token=...``)."""
    return _TOKEN_VALUE.sub(r"\1***", text)


def _lock_message(target: str, duckdb_error: str) -> str:
    found = _HOLDER_PID.search(duckdb_error)
    holder = f" (PID {found.group(1)})" if found else ""
    return (
        f"the warehouse {target} is locked by another process{holder}: waiting up to "
        f"{LOCK_WAIT_S:.0f}s for it to close the file. DuckDB lets no one else open a file that "
        "a process has open, read-only connections included: close BI tools and notebooks "
        f"while runs write, and read the exports under {settings.export_root()} instead"
    )
