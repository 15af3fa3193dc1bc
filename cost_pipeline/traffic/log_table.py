"""The ``traffic_log`` table: written per batch, so a retried step never doubles it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from cost_pipeline.traffic.records import COLUMNS, TrafficRecord
from cost_pipeline.warehouse.tables import table_exists
from cost_pipeline.warehouse.transaction import transaction

DDL = (Path(__file__).parent / "sql" / "traffic_log_ddl.sql").read_text()


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def replace_batch(
    con: duckdb.DuckDBPyConnection, day: date, batch_id: str, records: list[TrafficRecord]
) -> None:
    """Delete this batch's rows for the day, then insert them, in one transaction."""
    ensure_table(con)
    # One statement for the batch: executemany inserts row by row, and binds through DuckDB's
    # client (which imports pandas); the warehouse connection writes the values in instead.
    row = "(" + ", ".join("?" for _ in COLUMNS) + ")"
    with transaction(con):
        con.execute(
            "delete from traffic_log where partition_date = ? and batch_id = ?", [day, batch_id]
        )
        if records:
            rows = ", ".join(row for _ in records)
            con.execute(
                f"insert into traffic_log ({', '.join(COLUMNS)}) values {rows}",
                [value for record in records for value in record.row()],
            )


def days_with_batches(con: duckdb.DuckDBPyConnection, first: date, last: date) -> set[date]:
    """The days from ``first`` to ``last`` that already have a logged batch."""
    if not table_exists(con, "traffic_log"):
        return set()
    rows = con.execute(
        "select distinct partition_date from traffic_log where partition_date between ? and ?",
        [first, last],
    ).fetchall()
    return {row[0] for row in rows}
