"""The ``traffic_log`` table: written per batch, so a retried step never doubles it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from cost_pipeline.traffic.records import COLUMNS, TrafficRecord
from cost_pipeline.warehouse.transaction import transaction

DDL = (Path(__file__).parent / "sql" / "traffic_log_ddl.sql").read_text()


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def replace_batch(
    con: duckdb.DuckDBPyConnection, day: date, batch_id: str, records: list[TrafficRecord]
) -> None:
    """Delete this batch's rows for the day, then insert them, in one transaction."""
    ensure_table(con)
    placeholders = ", ".join("?" for _ in COLUMNS)
    with transaction(con):
        con.execute(
            "delete from traffic_log where partition_date = ? and batch_id = ?", [day, batch_id]
        )
        if records:
            con.executemany(
                f"insert into traffic_log ({', '.join(COLUMNS)}) values ({placeholders})",
                [record.row() for record in records],
            )
