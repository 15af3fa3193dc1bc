"""A load attempt that ended without recording an outcome, recorded by the next load of its day.

A process killed with -9 (by hand, by the out-of-memory killer) or a machine that dies writes
neither ``failed`` nor ``complete``: ``ingest_state`` still says ``running`` and ``ingest_runs``
has no row for that attempt. The next load of the day finds it before it resumes, and writes one
``failed`` row saying so, with what the state knows: the attempt's run id, mode and start
(migration 008) and its last checkpoint. Figures of that attempt alone (rows, pages, requests)
are not known - the checkpoint counts the whole load, all its attempts - so they stay null, and
the checkpoint's totals are quoted in the error text instead.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from cost_pipeline.warehouse.plan import RESUMED
from cost_pipeline.warehouse.state import FAILED, RUNNING, PartitionState, RunRecord, record_run
from cost_pipeline.warehouse.transaction import transaction


def record_vanished_load(
    conn: duckdb.DuckDBPyConnection,
    state: PartitionState | None,
    next_mode: str,
    next_run_id: str,
    now: datetime,
) -> str | None:
    """If the day's last attempt vanished, record it in ``ingest_runs``; returns the text written.

    Call before the next load takes the state over. The state is left ``failed`` with the same
    text, in the same transaction, so a load killed right after this does not record it twice.
    """
    if state is None or state.status != RUNNING:
        return None
    error = vanished_text(state, next_mode, next_run_id)
    with transaction(conn):
        record_run(
            conn,
            RunRecord(
                run_id=state.run_id,
                partition_date=state.partition_date,
                mode=state.run_mode or state.mode,
                status=FAILED,
                window_from=min((w.window_from for w in state.windows), default=None),
                window_to=max((w.window_to for w in state.windows), default=None),
                pages=None,
                rows_loaded=None,
                rows_new=None,
                rows_rejected=None,
                api_requests=None,
                api_bytes=None,
                retries=None,
                retry_wait_s=None,
                started_at=state.run_started_at or state.started_at,
                finished_at=None,  # when it died is not known; its last checkpoint is in the text
                duration_s=None,
                error=error,
            ),
        )
        conn.execute(
            "update ingest_state set status = ?, error = ?, updated_at = ? "
            "where partition_date = ?",
            [FAILED, error, now, state.partition_date],
        )
    return error


def vanished_text(state: PartitionState, next_mode: str, next_run_id: str) -> str:
    """What ``ingest_runs.error`` says about an attempt that vanished."""
    who = f"run {state.run_id}" if state.run_id else "a run (its id was not recorded)"
    started = state.run_started_at or state.started_at
    counters, mode = state.counters, state.run_mode or state.mode
    next_load = f"run {next_run_id}" if next_run_id else "the next load"
    if next_mode == RESUMED:
        then = f"{next_load} resumes from its last checkpoint"
    else:
        then = f"{next_load} is a {next_mode} load: it does not resume from that checkpoint"
    return (
        f"interrupted: the load of {state.partition_date} by {who}, a {mode} attempt started at "
        f"{started} UTC, ended without recording an outcome (its process was killed or crashed, "
        f"or the machine stopped). Its last checkpoint (or its start), at {state.updated_at} UTC, "
        f"held {counters.rows_loaded} rows and {counters.pages} pages for this load (all its "
        f"attempts); this attempt's own figures are unknown and left null. {then}"
    )
