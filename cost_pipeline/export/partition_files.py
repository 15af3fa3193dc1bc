"""Write one day of a table as ``<table>/date=YYYY-MM-DD/<table>.csv`` and ``.parquet``.

DuckDB's COPY writes both files straight from the warehouse, so no row passes through Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

import duckdb

from cost_pipeline.export.csv_safety import neutralised_select_list
from cost_pipeline.export.destination import LocalDirectory, PublishedFile
from cost_pipeline.export.object_store import ObjectStorePrefix
from cost_pipeline.sql.params import quote_identifier
from cost_pipeline.warehouse.inline_params import sql_literal


@dataclass(frozen=True)
class PartitionExport:
    day: date
    rows: int
    csv: PublishedFile
    parquet: PublishedFile


def export_partition(
    con: duckdb.DuckDBPyConnection,
    destination: LocalDirectory | ObjectStorePrefix,
    *,
    table: str,
    day: date,
    date_column: str = "date",
    order_by: str = "1",
) -> PartitionExport:
    """Export the rows of ``table`` whose ``date_column`` is ``day`` (an empty day gets files
    with only a header / schema, so a BI tool can tell "no spend" from "not exported")."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where table_name = $table and schema_name = 'main' "
        "and database_name = current_database() order by column_index",
        {"table": table},
    ).fetchall()
    if not columns:
        raise LookupError(f"table {table} does not exist in the warehouse; materialize it first")
    where = f"from {quote_identifier(table)} where {quote_identifier(date_column)} = $day"
    plain = f"select * {where} order by {order_by}"
    for_csv = f"select {neutralised_select_list(columns)} {where} order by {order_by}"
    folder = PurePosixPath(table, f"date={day.isoformat()}")
    rows = con.execute(f"select count(*) {where}", {"day": day}).fetchone()[0]
    destination.prepare(con)

    def copy(query: str, options: str) -> Callable[[str], None]:
        def write(path: str) -> None:
            con.execute(f"copy ({query}) to {sql_literal(path)} ({options})", {"day": day})

        return write

    csv = destination.publish(folder / f"{table}.csv", copy(for_csv, "format csv, header"))
    parquet = destination.publish(
        folder / f"{table}.parquet", copy(plain, "format parquet, compression zstd")
    )
    return PartitionExport(day=day, rows=int(rows), csv=csv, parquet=parquet)
