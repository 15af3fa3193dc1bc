"""Durable storage: one SQLite file in WAL mode under the data dir.

The server has one writer connection (OTLP batches, injected rows) and one reader connection per
worker thread, so page queries run concurrently with each other and with ingestion. ``seed``
writes through its own connection from another process; WAL lets both work at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cost_pipeline.local.rows import BLOB_COLUMNS, LENGTH_COLUMNS, ROW_COLUMNS

BUSY_TIMEOUT_MS = 60_000
SCHEMA_VERSION = "2"

_FRAGMENT_DDL = ",\n".join(
    [f"    {column} integer not null" for column in LENGTH_COLUMNS]
    + [f"    {column} blob" for column in BLOB_COLUMNS]
)
SCHEMA = f"""
create table if not exists observations (
    seq integer primary key,
    id text not null,
    trace_id text not null,
    start_ms integer not null,
    type text,
    name text,
    user_id text,
    session_id text,
    level text,
    version text,
    environment text,
    parent_observation_id text,
    is_root integer,
    release text,
    trace_name text,
    tags text,
    model text,
    total_cost real,
    input_usage integer,
    output_usage integer,
    total_usage integer,
    visible_at_ms integer not null,
    injected integer not null default 0,
{_FRAGMENT_DDL}
);
-- Page order is (start_ms desc, trace_id desc, id desc). One index serves every filter: the
-- other filters (type, name, ...) are checked on rows the page reads anyway, and each extra
-- index would cost ingest and seed speed.
create index if not exists observations_order on observations (start_ms, trace_id, id);
-- Ingested rows upsert by id; injected rows may repeat an id on purpose (hostile-input tests).
create unique index if not exists observations_ingested_id
    on observations (id) where injected = 0;
create table if not exists store_meta (key text primary key, value text not null);
insert or ignore into store_meta (key, value) values ('schema_version', '{SCHEMA_VERSION}');
"""

_INSERT_SQL = (
    f"insert into observations ({', '.join(ROW_COLUMNS)}) "
    f"values ({', '.join('?' for _ in ROW_COLUMNS)}) "
    "on conflict (id) where injected = 0 do update set "
    + ", ".join(f"{column} = excluded.{column}" for column in ROW_COLUMNS if column != "id")
)


# Window functions, FILTER on aggregates and the JSON functions the pages and metrics use.
MIN_SQLITE = (3, 30, 0)


def connect(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode; transactions are explicit BEGIN ... COMMIT."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise RuntimeError(
            f"serve-local needs SQLite >= {'.'.join(map(str, MIN_SQLITE))}; this Python has "
            f"{sqlite3.sqlite_version} (use a newer Python build, e.g. `uv python install`)"
        )
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    # Rows are 2-5 KB: 16 KiB pages keep a row on one page instead of overflow chains.
    # (Takes effect only when the file is created, before WAL mode is switched on.)
    conn.execute("pragma page_size = 16384")
    conn.execute("pragma journal_mode = wal")
    # FULL: the WAL is fsynced at each commit, so an acknowledged batch survives even a power
    # cut, not only kill -9 (measured ~0.25 ms per commit here).
    conn.execute(f"pragma synchronous = {synchronous}")
    conn.execute("pragma cache_size = -65536")
    return conn


class SchemaMismatch(RuntimeError):
    """The data dir was written by a serve-local with another storage layout."""


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute("begin immediate")
    try:
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        (version,) = conn.execute(
            "select value from store_meta where key = 'schema_version'"
        ).fetchone()
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    if version != SCHEMA_VERSION:
        raise SchemaMismatch(
            f"{conn_path(conn)} has storage layout {version}, this serve-local needs "
            f"{SCHEMA_VERSION}; move the data dir away (or delete it) and start again"
        )


def conn_path(conn: sqlite3.Connection) -> str:
    row = conn.execute("pragma database_list").fetchone()
    return row[2] if row else "the database"


def insert_rows(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` in ONE transaction: either the whole batch is stored or none of it."""
    conn.execute("begin immediate")
    try:
        conn.executemany(_INSERT_SQL, rows)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


class Store:
    """The server's handle on the database: a locked writer plus per-thread readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = connect(path)
        ensure_schema(self._writer)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self._write_lock:
            insert_rows(self._writer, rows)

    def reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, synchronous="NORMAL")
            conn.execute("pragma query_only = 1")
            # Pages are read straight from the mapped file instead of copied through the cache.
            conn.execute("pragma mmap_size = 8589934592")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Any]:
        return self.reader().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()
