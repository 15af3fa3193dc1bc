from datetime import date, datetime

import duckdb
import pytest

from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.state import (
    COMPLETE,
    LoadCounters,
    RunRecord,
    WindowProgress,
    finish_load,
    read_state,
    record_checkpoint,
    record_run,
    resume_load,
    start_load,
)

DAY = date(2026, 11, 20)
START, MIDDLE, END = datetime(2026, 11, 20), datetime(2026, 11, 20, 12), datetime(2026, 11, 21)
NOW = datetime(2026, 11, 21, 1)


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        ensure_schema(connection)
        yield connection


def test_state_round_trip(conn):
    assert read_state(conn, DAY) is None
    start_load(conn, DAY, "full", [(MIDDLE, END), (START, MIDDLE)], NOW)
    counters = LoadCounters(3, 2500, 4, 5, 1_000_000, 2, 1.5)
    record_checkpoint(conn, DAY, [WindowProgress(MIDDLE, None, 3)], counters, MIDDLE, NOW)
    state = read_state(conn, DAY)
    assert (state.status, state.mode, state.high_water) == ("running", "full", MIDDLE)
    assert state.counters == counters
    assert [(w.window_from, w.status, w.pages) for w in state.windows] == [
        (MIDDLE, "complete", 3),
        (START, "open", 0),
    ]
    finish_load(conn, DAY, COMPLETE, NOW, 4.2)
    assert read_state(conn, DAY).status == COMPLETE


def test_high_water_only_moves_forward_and_survives_new_loads(conn):
    start_load(conn, DAY, "full", [(START, END)], NOW)
    counters = LoadCounters(1, 1, 0, 1, 1, 0, 0.0)
    record_checkpoint(conn, DAY, [WindowProgress(START, "c", 1)], counters, END, NOW)
    record_checkpoint(conn, DAY, [WindowProgress(START, None, 1)], counters, MIDDLE, NOW)
    assert read_state(conn, DAY).high_water == END
    start_load(conn, DAY, "incremental", [(MIDDLE, END)], NOW)
    state = read_state(conn, DAY)
    assert state.high_water == END  # kept: it decides the next incremental window
    assert state.counters.rows_loaded == 0  # counters are per load
    resume_load(conn, DAY, NOW)
    assert read_state(conn, DAY).status == "running"


def test_runs_are_recorded(conn):
    run = RunRecord(
        run_id="r1",
        partition_date=DAY,
        mode="full",
        status=COMPLETE,
        window_from=START,
        window_to=END,
        pages=2,
        rows_loaded=1500,
        rows_new=1500,
        rows_rejected=1,
        api_requests=2,
        api_bytes=123,
        retries=0,
        retry_wait_s=0.0,
        started_at=NOW,
        finished_at=NOW,
        duration_s=1.0,
        error=None,
    )
    record_run(conn, run)
    assert conn.execute("select run_id, rows_loaded, status from ingest_runs").fetchall() == [
        ("r1", 1500, COMPLETE)
    ]
