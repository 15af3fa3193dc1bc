"""Per-partition ingest state: where each load stands, so re-runs read little and crashes resume.

``ingest_state`` holds one row per day (status, mode, high-water start time, counters);
``ingest_windows`` the time windows of that day's current load and the cursor each has reached.
Batch checkpoints are written by the caller inside the same transaction as the rows they cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from cost_pipeline.warehouse.transaction import transaction

RUNNING, FAILED, COMPLETE = "running", "failed", "complete"
OPEN_WINDOW, COMPLETE_WINDOW = "open", "complete"


@dataclass(frozen=True)
class WindowState:
    window_from: datetime
    window_to: datetime
    status: str
    next_cursor: str | None
    pages: int = 0

    @property
    def is_open(self) -> bool:
        return self.status == OPEN_WINDOW


@dataclass(frozen=True)
class LoadCounters:
    """Cumulative figures of the current load (all attempts), written at every checkpoint."""

    pages: int
    rows_loaded: int
    rows_rejected: int
    api_requests: int
    api_bytes: int
    retries: int
    retry_wait_s: float


@dataclass(frozen=True)
class PartitionState:
    partition_date: date
    status: str
    mode: str
    high_water: datetime | None
    started_at: datetime | None
    counters: LoadCounters
    windows: tuple[WindowState, ...] = field(default=())
    updated_at: datetime | None = None  # the last checkpoint (or start) of the current attempt
    # The attempt holding the load (migration 008): who to blame if it vanished.
    run_id: str | None = None
    run_mode: str | None = None
    run_started_at: datetime | None = None

    @property
    def unfinished(self) -> bool:
        return self.status in (RUNNING, FAILED)


ZERO_COUNTERS = LoadCounters(0, 0, 0, 0, 0, 0, 0.0)


@dataclass(frozen=True)
class WindowProgress:
    """What one committed batch did to one window."""

    window_from: datetime
    next_cursor: str | None
    pages: int
    window_to: datetime | None = None
    # A split (first page of a dense window): [finished_from, window_to) is done, and these
    # children replace the rest, each open with no cursor yet.
    children: tuple[tuple[datetime, datetime], ...] = ()
    finished_from: datetime | None = None


def read_state(conn: duckdb.DuckDBPyConnection, day: date) -> PartitionState | None:
    row = conn.execute(
        "select status, mode, high_water, started_at, pages, rows_loaded, rows_rejected, "
        "api_requests, api_bytes, retries, retry_wait_s, updated_at, run_id, run_mode, "
        "run_started_at from ingest_state where partition_date = ?",
        [day],
    ).fetchone()
    if row is None:
        return None
    windows = conn.execute(
        "select window_from, window_to, status, next_cursor, pages from ingest_windows "
        "where partition_date = ? order by window_from desc",
        [day],
    ).fetchall()
    return PartitionState(
        partition_date=day,
        status=row[0],
        mode=row[1],
        high_water=row[2],
        started_at=row[3],
        counters=LoadCounters(*row[4:11]),
        windows=tuple(WindowState(*window) for window in windows),
        updated_at=row[11],
        run_id=row[12],
        run_mode=row[13],
        run_started_at=row[14],
    )


def start_load(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    mode: str,
    windows: list[tuple[datetime, datetime]],
    now: datetime,
    run_id: str | None = None,
) -> None:
    """Begin a new load of ``day``: fresh windows and counters; the high-water mark is kept."""
    with transaction(conn):
        conn.execute("delete from ingest_windows where partition_date = ?", [day])
        for window_from, window_to in windows:
            conn.execute(
                "insert into ingest_windows (partition_date, window_from, window_to, status, "
                "updated_at) values (?, ?, ?, ?, ?)",
                [day, window_from, window_to, OPEN_WINDOW, now],
            )
        conn.execute(
            """
            insert into ingest_state (partition_date, status, mode, window_from, window_to,
                started_at, updated_at, run_id, run_mode, run_started_at)
            values ($day, $status, $mode, $window_from, $window_to, $now, $now, $run_id, $mode,
                $now)
            on conflict (partition_date) do update set
                status = excluded.status, mode = excluded.mode, last_cursor = null,
                window_from = excluded.window_from, window_to = excluded.window_to,
                pages = 0, rows_loaded = 0, rows_rejected = 0, api_requests = 0,
                api_bytes = 0, retries = 0, retry_wait_s = 0, started_at = excluded.started_at,
                updated_at = excluded.updated_at, finished_at = null, duration_s = null,
                error = null, run_id = excluded.run_id, run_mode = excluded.run_mode,
                run_started_at = excluded.run_started_at
            """,
            {
                "day": day,
                "status": RUNNING,
                "mode": mode,
                "window_from": min(w[0] for w in windows),
                "window_to": max(w[1] for w in windows),
                "now": now,
                "run_id": run_id,
            },
        )


def resume_load(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    now: datetime,
    run_id: str | None = None,
    run_mode: str = "resumed",
) -> None:
    """Continue the day's unfinished load; the counters and windows are kept."""
    conn.execute(
        "update ingest_state set status = ?, updated_at = ?, error = null, run_id = ?, "
        "run_mode = ?, run_started_at = ? where partition_date = ?",
        [RUNNING, now, run_id, run_mode, now, day],
    )


def record_checkpoint(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    progress: list[WindowProgress],
    counters: LoadCounters,
    batch_high_water: datetime | None,
    now: datetime,
) -> None:
    """Advance the windows and counters; call inside the transaction that wrote the batch."""
    for window in progress:
        if window.children:
            _record_split(conn, day, window, now)
            continue
        conn.execute(
            "update ingest_windows set next_cursor = ?, status = ?, pages = pages + ?, "
            "updated_at = ? where partition_date = ? and window_from = ?",
            [
                window.next_cursor,
                OPEN_WINDOW if window.next_cursor else COMPLETE_WINDOW,
                window.pages,
                now,
                day,
                window.window_from,
            ],
        )
    conn.execute(
        """
        update ingest_state set
            high_water = greatest(high_water, $high_water),
            last_cursor = coalesce($last_cursor, last_cursor),
            pages = $pages, rows_loaded = $rows_loaded, rows_rejected = $rows_rejected,
            api_requests = $api_requests, api_bytes = $api_bytes, retries = $retries,
            retry_wait_s = $retry_wait_s, updated_at = $now
        where partition_date = $day
        """,
        {
            "high_water": batch_high_water,
            "last_cursor": progress[-1].next_cursor if progress else None,
            "pages": counters.pages,
            "rows_loaded": counters.rows_loaded,
            "rows_rejected": counters.rows_rejected,
            "api_requests": counters.api_requests,
            "api_bytes": counters.api_bytes,
            "retries": counters.retries,
            "retry_wait_s": counters.retry_wait_s,
            "now": now,
            "day": day,
        },
    )


def _record_split(
    conn: duckdb.DuckDBPyConnection, day: date, split: WindowProgress, now: datetime
) -> None:
    """Replace a window by its finished part and its children: together they tile it exactly."""
    if split.finished_from is None or split.window_to is None:
        raise ValueError("a split needs the window's end and where its finished part begins")
    earlier = conn.execute(
        "delete from ingest_windows where partition_date = ? and window_from = ? returning pages",
        [day, split.window_from],
    ).fetchall()
    pages = split.pages + sum(row[0] for row in earlier)  # pages committed before this batch
    rows = [(split.finished_from, split.window_to, COMPLETE_WINDOW, pages)]
    rows += [(child_from, child_to, OPEN_WINDOW, 0) for child_from, child_to in split.children]
    for window_from, window_to, status, pages in rows:
        conn.execute(
            "insert into ingest_windows (partition_date, window_from, window_to, status, pages, "
            "updated_at) values (?, ?, ?, ?, ?, ?)",
            [day, window_from, window_to, status, pages, now],
        )


def finish_load(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    status: str,
    now: datetime,
    duration_s: float,
    error: str | None = None,
) -> None:
    conn.execute(
        "update ingest_state set status = ?, finished_at = ?, updated_at = ?, duration_s = ?, "
        "error = ?, last_cursor = case when ? = 'complete' then null else last_cursor end "
        "where partition_date = ?",
        [status, now, now, duration_s, error, status, day],
    )


@dataclass(frozen=True)
class RunRecord:
    """One load attempt, for the ``ingest_runs`` history."""

    run_id: str | None
    partition_date: date
    mode: str
    status: str
    window_from: datetime
    window_to: datetime
    # None where the attempt's own figures are unknown: a load that vanished (vanished_load.py).
    pages: int | None
    rows_loaded: int | None
    rows_new: int | None
    rows_rejected: int | None
    api_requests: int | None
    api_bytes: int | None
    retries: int | None
    retry_wait_s: float | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: str | None


def record_run(conn: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    values = vars(run)
    columns = ", ".join(values)
    placeholders = ", ".join(f"${name}" for name in values)
    conn.execute(f"insert into ingest_runs ({columns}) values ({placeholders})", values)
