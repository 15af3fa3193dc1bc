"""Write one rendered model's rows for a partition window: delete the window, insert, one commit.

The query result is staged in a temporary table first so that (a) a query that returns rows
outside the window fails loudly instead of leaving rows a later re-run would never replace, and
(b) the caller can summarise what was written without running the model twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import duckdb

from cost_pipeline.sql.params import quote_identifier
from cost_pipeline.sql.render import RenderedModel

STAGE = "__cost_pipeline_stage"
Summary = TypeVar("Summary")


class ModelRunError(RuntimeError):
    """A model's output cannot be written (window violation, incompatible column change)."""


@dataclass(frozen=True)
class ReplaceResult:
    table: str
    rows_written: int
    rows_replaced: int
    duration_s: float
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) of the written rows


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    rendered: RenderedModel,
    *,
    partition_start: date,
    partition_end: date,
    summarize: Callable[[duckdb.DuckDBPyConnection, str], Summary] | None = None,
) -> tuple[ReplaceResult, Summary | None]:
    """Replace ``[partition_start, partition_end)`` of the model's table atomically.

    ``summarize(con, stage_relation)`` runs inside the transaction, after the stage is built,
    and its return value is handed back with the result (used for metadata).
    """
    started = time.perf_counter()
    table = rendered.model.name
    relation = quote_identifier(table)
    partition_column = quote_identifier(rendered.config.partition_by)
    window = {"partition_start": partition_start, "partition_end": partition_end}
    con.begin()
    try:
        con.execute(f"create or replace temp table {STAGE} as {rendered.sql}", rendered.params)
        columns = _columns(con, STAGE, temporary=True)
        _check_window(con, rendered, dict(columns), window)
        _ensure_table(con, table, columns)
        deleted = _affected_rows(
            con.execute(
                f"delete from {relation} where {partition_column} >= $partition_start "
                f"and {partition_column} < $partition_end",
                window,
            )
        )
        inserted = _affected_rows(
            con.execute(f"insert into {relation} by name select * from {STAGE}")
        )
        summary = summarize(con, STAGE) if summarize else None
        con.execute(f"drop table {STAGE}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    result = ReplaceResult(
        table=table,
        rows_written=inserted,
        rows_replaced=deleted,
        duration_s=round(time.perf_counter() - started, 3),
        columns=tuple(columns),
    )
    return result, summary


def _affected_rows(cursor: duckdb.DuckDBPyConnection) -> int:
    # DuckDB answers DELETE / INSERT with one row holding the number of rows affected.
    return int(cursor.fetchone()[0])


def _columns(
    con: duckdb.DuckDBPyConnection, table: str, *, temporary: bool
) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where table_name = $table and schema_name = 'main' "
        "and database_name = (case when $temporary then 'temp' else current_database() end) "
        "order by column_index",
        {"table": table, "temporary": temporary},
    ).fetchall()


def _check_window(
    con: duckdb.DuckDBPyConnection,
    rendered: RenderedModel,
    columns: dict[str, str],
    window: dict[str, date],
) -> None:
    column_name = rendered.config.partition_by
    if column_name not in columns:
        raise ModelRunError(
            f"model {rendered.model.name} has no column {column_name!r} to partition by; "
            "add it or set {{ config(partition_by='...') }}"
        )
    column = quote_identifier(column_name)
    outside = con.execute(
        f"select count(*) from {STAGE} where {column} is null "
        f"or {column} < $partition_start or {column} >= $partition_end",
        window,
    ).fetchone()[0]
    if outside:
        raise ModelRunError(
            f"model {rendered.model.name} returned {outside} rows whose {column_name} is outside "
            f"[{window['partition_start']}, {window['partition_end']}): filter the model on "
            "{{ partition_start }} / {{ partition_end }} so re-runs replace exactly their rows"
        )


def _ensure_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
) -> None:
    """Create the table on first run; later, add new columns, refuse changed types."""
    relation = quote_identifier(table)
    existing = dict(_columns(con, table, temporary=False))
    if not existing:
        con.execute(f"create table {relation} as select * from {STAGE} limit 0")
        return
    for name, data_type in columns:
        if name not in existing:
            con.execute(f"alter table {relation} add column {quote_identifier(name)} {data_type}")
        elif existing[name] != data_type:
            raise ModelRunError(
                f"column {table}.{name} changed type from {existing[name]} to {data_type}; "
                f"drop table {table} and re-materialize its partitions to rebuild it"
            )
