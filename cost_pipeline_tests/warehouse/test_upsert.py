"""write_batch: upsert by id, rejects kept once, checkpoint advanced in the same transaction."""

from datetime import timedelta

import duckdb
import orjson
import pytest

from cost_pipeline.warehouse.parse import prepare_session
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.state import ZERO_COUNTERS, read_state, start_load
from cost_pipeline.warehouse.upsert import write_batch
from cost_pipeline_tests.warehouse.observations import iso, observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT, WINDOW

START = DAY + timedelta(hours=3)


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        ensure_schema(connection)
        prepare_session(connection)
        start_load(connection, DAY.date(), "full", [WINDOW], LOADED_AT)
        yield connection


def spool(stager, bodies, cursors):
    """Pages of one window chained by cursors: page i was requested with cursors[i]."""
    pages = []
    for body, (request, following) in zip(bodies, cursors, strict=True):
        stager.seq += 1
        pages.append(stager.spool.write(stager.seq, body, WINDOW, request, following))
    return pages


def write(conn, stager, bodies, cursors=None, counters=ZERO_COUNTERS):
    cursors = cursors or [(None, None)] * len(bodies)
    # Each batch newer than the last, as the pipeline hands them out.
    stager.seq += 1
    loaded_at = LOADED_AT + timedelta(seconds=stager.seq)
    return write_batch(conn, DAY.date(), spool(stager, bodies, cursors), loaded_at, counters)


def ids(conn):
    return [row[0] for row in conn.execute("select id from raw_generations order by id").fetchall()]


def test_rewriting_the_same_pages_changes_nothing(conn, stager):
    body = page_bytes([observation(f"g{i}", START + timedelta(seconds=i)) for i in range(30)])
    first = write(conn, stager, [body])
    again = write(conn, stager, [body], counters=first.counters)
    assert (first.rows_loaded, first.rows_new) == (30, 30)
    assert (again.rows_loaded, again.rows_new) == (30, 0)
    assert ids(conn) == sorted(f"g{i}" for i in range(30))


def test_later_copy_of_an_id_wins_and_duplicates_are_counted(conn, stager):
    old = observation("moved", START, model="old-model")
    new = observation("moved", START + timedelta(seconds=1), model="new-model")
    result = write(conn, stager, [page_bytes([old, observation("x", START)]), page_bytes([new])])
    assert result.rows_duplicate == 1
    assert result.rows_loaded == 2
    assert conn.execute("select model from raw_generations where id = 'moved'").fetchall() == [
        ("new-model",)
    ]
    newest = observation("moved", START, model="newest", updatedAt=iso(START + timedelta(hours=1)))
    later = write(conn, stager, [page_bytes([newest])])
    assert later.rows_new == 0
    assert ids(conn) == ["moved", "x"]
    assert conn.execute("select model from raw_generations where id = 'moved'").fetchone() == (
        "newest",
    )


def test_rejects_are_stored_once_and_cleared_when_the_row_turns_good(conn, stager):
    bad = observation("flaky", START, usageDetails={"input": -1})
    nameless = observation(None, START)
    for _ in range(2):
        result = write(conn, stager, [page_bytes([bad, nameless, observation("ok", START)])])
        assert result.rows_rejected == 2
    stored = conn.execute(
        "select id, partition_date, reason, raw from rejected_generations order by id nulls last"
    ).fetchall()
    assert [(row[0], row[1]) for row in stored] == [("flaky", DAY.date()), (None, DAY.date())]
    assert "usageDetails.input" in stored[0][2]
    assert orjson.loads(stored[0][3]) == bad
    write(conn, stager, [page_bytes([observation("flaky", START)])])
    assert conn.execute(
        "select count(*) from rejected_generations where id = 'flaky'"
    ).fetchone() == (0,)
    assert "flaky" in ids(conn)


def test_checkpoint_moves_with_the_batch(conn, stager):
    bodies = [page_bytes([observation(f"c{i}", START - timedelta(minutes=i))]) for i in range(3)]
    result = write(conn, stager, bodies[:2], cursors=[(None, "cur-1"), ("cur-1", "cur-2")])
    state = read_state(conn, DAY.date())
    assert state.windows[0].next_cursor == "cur-2" and state.windows[0].is_open
    assert state.windows[0].pages == 2
    assert state.high_water == START
    assert (state.counters.pages, state.counters.rows_loaded) == (2, 2)
    write(conn, stager, bodies[2:], cursors=[("cur-2", None)], counters=result.counters)
    state = read_state(conn, DAY.date())
    assert not state.windows[0].is_open and state.windows[0].next_cursor is None
    assert state.counters.rows_loaded == 3 and state.counters.pages == 3
    assert state.high_water == START


def test_corrupt_page_commits_what_came_before_it(conn, stager):
    good = page_bytes([observation("before", START)])
    corrupt = page_bytes([observation("lost", START)])[:-30] + b"}{"
    after = page_bytes([observation("after", START)])
    result = write(
        conn,
        stager,
        [good, corrupt, after],
        cursors=[(None, "c1"), ("c1", "c2"), ("c2", None)],
    )
    assert [page.request_cursor for page in result.corrupt] == ["c1"]
    assert [page.request_cursor for page in result.committed] == [None]
    assert ids(conn) == ["before"]
    state = read_state(conn, DAY.date())
    assert state.windows[0].next_cursor == "c1" and state.windows[0].is_open


def test_a_failed_batch_leaves_rows_and_checkpoint_untouched(conn, stager):
    write(conn, stager, [page_bytes([observation("kept", START)])], cursors=[(None, "c1")])
    conn.execute("drop table rejected_generations")  # the next write fails half-way
    with pytest.raises(duckdb.Error):
        write(
            conn,
            stager,
            [page_bytes([observation("new", START), observation(None, START)])],
            cursors=[("c1", "c2")],
        )
    assert ids(conn) == ["kept"]
    assert read_state(conn, DAY.date()).windows[0].next_cursor == "c1"


def temp_table_memory(conn) -> int:
    conn.execute("checkpoint")  # the table's own new rows to disk: what stays is temp tables
    return conn.execute(
        "select memory_usage_bytes + temporary_storage_bytes from duckdb_memory() "
        "where tag = 'IN_MEMORY_TABLE'"
    ).fetchone()[0]


def test_the_careful_path_leaves_no_staged_rows_holding_memory(conn, stager):
    clean = [observation(f"c{i}", START + timedelta(seconds=i)) for i in range(3000)]
    write(conn, stager, [page_bytes(clean[:1000])])  # one pass: nothing staged
    before = temp_table_memory(conn)
    odd = [*clean[1000:], observation("neg", START, usageDetails={"input": -1})]
    result = write(conn, stager, [page_bytes(odd[:1000]), page_bytes(odd[1000:])])
    assert not result.single_pass and result.rows_rejected == 1
    # 2,000 staged rows held ~2.5 MB of DuckDB memory until the next careful batch.
    assert temp_table_memory(conn) - before < 512 * 1024
