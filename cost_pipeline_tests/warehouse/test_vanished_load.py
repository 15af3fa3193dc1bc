"""A load attempt that vanished (kill -9) is recorded once, by the next load, with what is known.

The real kill is in reliability/test_crash_kill9.py; here the state such a kill leaves behind is
written by the loader's own calls, and nothing after them, into a DuckDB file.
"""

from datetime import date, datetime

import duckdb
import pytest

from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.state import (
    COMPLETE,
    LoadCounters,
    WindowProgress,
    finish_load,
    read_state,
    record_checkpoint,
    resume_load,
    start_load,
)
from cost_pipeline.warehouse.vanished_load import record_vanished_load

DAY = date(2026, 11, 20)
START, MIDDLE, END = datetime(2026, 11, 20), datetime(2026, 11, 20, 12), datetime(2026, 11, 21)
T1, T2, T3 = datetime(2026, 11, 21, 1), datetime(2026, 11, 21, 1, 5), datetime(2026, 11, 21, 2)


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        ensure_schema(connection)
        yield connection


def runs(conn):
    return conn.execute(
        "select run_id, mode, status, pages, rows_loaded, rows_new, rows_rejected, api_requests, "
        "api_bytes, retries, retry_wait_s, started_at, finished_at, duration_s, error "
        "from ingest_runs where partition_date = ? order by started_at",
        [DAY],
    ).fetchall()


def test_the_next_load_records_a_resumed_attempt_that_vanished_once(conn):
    start_load(conn, DAY, "full", [(MIDDLE, END), (START, MIDDLE)], T1, run_id="run-a")
    counters = LoadCounters(3, 2500, 4, 5, 1_000_000, 2, 1.5)
    record_checkpoint(conn, DAY, [WindowProgress(MIDDLE, "c3", 3)], counters, MIDDLE, T2)
    # run-a is killed here: no finish_load, no ingest_runs row. run-b finds it.
    error = record_vanished_load(conn, read_state(conn, DAY), "resumed", "run-b", T3)

    (row,) = runs(conn)
    assert row[:3] == ("run-a", "full", "failed")
    assert row[3:11] == (None,) * 8  # the attempt's own figures are not known
    assert row[11:14] == (T1, None, None)
    assert row[14] == error
    assert error == (
        "interrupted: the load of 2026-11-20 by run run-a, a full attempt started at "
        "2026-11-21 01:00:00 UTC, ended without recording an outcome (its process was killed or "
        "crashed, or the machine stopped). Its last checkpoint (or its start), at "
        "2026-11-21 01:05:00 UTC, held 2500 rows and 3 pages for this load (all its attempts); "
        "this attempt's own figures are unknown and left null. run run-b resumes from its last "
        "checkpoint"
    )
    state = read_state(conn, DAY)
    assert state.status == "failed" and state.counters == counters  # the checkpoint is kept
    # Killed again before it took the state over: recorded once, not twice.
    assert record_vanished_load(conn, state, "resumed", "run-b", T3) is None
    assert len(runs(conn)) == 1

    resume_load(conn, DAY, T3, run_id="run-b")
    state = read_state(conn, DAY)
    assert (state.run_id, state.run_mode, state.run_started_at) == ("run-b", "resumed", T3)
    assert (state.mode, state.started_at) == ("full", T1)  # the load's own
    record_vanished_load(conn, state, "full", "run-c", T3)
    assert runs(conn)[-1][:3] == ("run-b", "resumed", "failed")
    assert runs(conn)[-1][14].endswith(
        "run run-c is a full load: it does not resume from that checkpoint"
    )


def test_a_load_that_recorded_its_outcome_is_not_recorded_again(conn):
    start_load(conn, DAY, "full", [(START, END)], T1, run_id="run-a")
    finish_load(conn, DAY, COMPLETE, T2, 4.2)
    assert record_vanished_load(conn, read_state(conn, DAY), "incremental", "run-b", T3) is None
    assert record_vanished_load(conn, None, "full", "run-b", T3) is None
    assert runs(conn) == []
