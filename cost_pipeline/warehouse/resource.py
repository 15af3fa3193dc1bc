"""The DuckDB warehouse as a Dagster resource.

DuckDB allows one writing process per file, so every asset or check that writes runs in the
``duckdb_writer`` pool (limit 1) and holds a connection only around its SQL, never across HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field

from cost_pipeline import settings

WRITER_POOL = "duckdb_writer"


class WarehouseResource(DuckDBResource):
    """DuckDBResource whose default target follows COST_PIPELINE_WAREHOUSE / COST_PIPELINE_HOME."""

    database: str = Field(
        default="",
        description="DuckDB path or connection string; empty means COST_PIPELINE_WAREHOUSE, "
        "else $COST_PIPELINE_HOME/warehouse.duckdb, resolved when a connection opens.",
    )

    def target(self) -> str:
        return self.database or settings.warehouse_target()

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        target = self.target()
        if "://" not in target and ":" not in target.split("/")[0] and target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        config = {"custom_user_agent": "cost_pipeline", **self.connection_config}
        # Another process may hold the file briefly (a BI reader, a finishing step): back off
        # like DuckDBResource does instead of failing the step at once.
        conn = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={"database": target, "read_only": read_only, "config": config},
            max_retries=10,
        )
        try:
            yield conn
        finally:
            conn.close()
