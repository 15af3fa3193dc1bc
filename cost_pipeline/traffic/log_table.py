"""The ``traffic_log`` table: written per batch, so a retried step never doubles it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from cost_pipeline.traffic.records import COLUMNS, TrafficRecord
from cost_pipeline.warehouse.inline_params import inline
from cost_pipeline.warehouse.transaction import transaction

DDL = (Path(__file__).parent / "sql" / "traffic_log_ddl.sql").read_text()


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def replace_batch(
    con: duckdb.DuckDBPyConnection, day: date, batch_id: str, records: list[TrafficRecord]
) -> None:
    """Delete this batch's rows for the day, then insert them, in one transaction."""
    ensure_table(con)
    # One statement with the values written in (inline_params.py): executemany inserts row by
    # row, and DuckDB's binding imports pandas where it is installed.
    row = "(" + ", ".join("?" for _ in COLUMNS) + ")"
    with transaction(con):
        con.execute(
            inline(
                "delete from traffic_log where partition_date = ? and batch_id = ?",
                [day, batch_id],
            )
        )
        if records:
            values = [value for record in records for value in record.row()]
            insert = f"insert into traffic_log ({', '.join(COLUMNS)}) values "
            con.execute(inline(insert + ", ".join(row for _ in records), values))
