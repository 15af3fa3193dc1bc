"""A hash of every id stored for the day, kept beside a load's connection, so a one-pass batch can
tell in a few milliseconds that none of its ids was stored before.

Looking for earlier copies of a batch's ids by id scans the day's id strings: each batch of a 1M
load read a growing column of up to 1M of them (~1.2 of the load's CPU-seconds). Their 8-byte
hashes scan ~5x cheaper, and a batch whose hashes meet none of the day's has no earlier copy, so
the exact search by id runs only on a match (a stored copy, or one hash collision in ~10^9
batches of a 1M day: a wasted search, never a missed copy).

The table may hold more hashes than the day has ids (deleted copies leave theirs), never fewer:
every batch adds its own in its transaction (rolled back with it), the careful path drops the
table (it is rebuilt from the stored rows at the next batch), and it lives in the connection's
temp schema, so a reopened connection starts from the stored rows again. It takes 8 MB per 1M
ids of the load's memory_limit; past that limit its blocks go to the temp directory like any
temp table's (5M hashes under a 20MB limit: spilled, probed correctly).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb


def ensure_day_hashes(conn: duckdb.DuckDBPyConnection, day: date) -> None:
    """Build the table from the day's stored rows, unless this connection has it for ``day``."""
    conn.execute("create temp table if not exists stored_id_hashes_day (day date)")
    if conn.execute("select day from stored_id_hashes_day").fetchall() == [(day,)]:
        return
    conn.execute(
        "create or replace temp table stored_id_hashes as "
        "select hash(id) as h from raw_generations where partition_date = ?",
        [day],
    )
    conn.execute("delete from stored_id_hashes_day")
    conn.execute("insert into stored_id_hashes_day values (?)", [day])


def add_batch_hashes(conn: duckdb.DuckDBPyConnection, day: date, loaded_at: datetime) -> None:
    conn.execute(
        "insert into stored_id_hashes select hash(id) from raw_generations "
        "where partition_date = ? and loaded_at = ?",
        [day, loaded_at],
    )


def forget_day_hashes(conn: duckdb.DuckDBPyConnection) -> None:
    """For writes that add rows without adding their hashes: the next batch rebuilds."""
    conn.execute("drop table if exists stored_id_hashes_day")
    conn.execute("drop table if exists stored_id_hashes")
