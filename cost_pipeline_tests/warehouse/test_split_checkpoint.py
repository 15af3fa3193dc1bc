"""A split window's checkpoint: its first pages and the split commit together, exactly once."""

from datetime import timedelta
from itertools import pairwise

import duckdb
import pytest

from cost_pipeline.langfuse.windows import MS, split_range
from cost_pipeline.warehouse.parse import prepare_session
from cost_pipeline.warehouse.plan import RESUMED, plan_load
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.state import ZERO_COUNTERS, read_state, start_load
from cost_pipeline.warehouse.upsert import write_batch
from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT, WINDOW

START, END = WINDOW
CUT = START + timedelta(hours=20)  # the last row of the split page started here


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        ensure_schema(connection)
        prepare_session(connection)
        start_load(connection, DAY.date(), "full", [WINDOW], LOADED_AT)
        yield connection


def loaded(conn):
    return sorted(row[0] for row in conn.execute("select id from raw_generations").fetchall())


def windows(conn):
    return [
        (w.window_from, w.window_to, w.status, w.next_cursor, w.pages)
        for w in read_state(conn, DAY.date()).windows
    ]


def split_page(stager, children, body, seq_cursor=("c0", "c1")):
    stager.seq += 1
    return stager.spool.write(
        stager.seq, body, WINDOW, *seq_cursor, children=children, owned_from=CUT + MS
    )


def test_the_split_page_commits_with_the_split_and_hands_its_tie_to_the_child(conn, stager):
    children = tuple(split_range(START, CUT + MS, 4))
    # The page's last rows started at CUT: the child owning CUT reads them again, so here they
    # are dropped; the rows after CUT are this page's to keep.
    body = page_bytes(
        [observation(f"late-{i}", CUT + timedelta(minutes=i + 1)) for i in range(3)]
        + [observation(f"tie-{i}", CUT) for i in range(2)]
    )
    result = write_batch(
        conn, DAY.date(), [split_page(stager, children, body)], LOADED_AT, ZERO_COUNTERS
    )
    assert result.rows_received == 3 and result.rows_loaded == 3
    assert loaded(conn) == ["late-0", "late-1", "late-2"]
    state = windows(conn)
    assert (CUT + MS, END, "complete", None, 1) in state
    open_children = sorted((w[0], w[1]) for w in state if w[2] == "open")
    assert open_children == sorted(children)
    edges = sorted((w[0], w[1]) for w in state)
    assert edges[0][0] == START and edges[-1][1] == END
    assert all(a[1] == b[0] for a, b in pairwise(edges))
    # A crash now resumes only the children, each from its own start.
    plan = plan_load(read_state(conn, DAY.date()), DAY.date())
    assert plan.mode == RESUMED
    assert sorted((w.window_from, w.window_to, w.cursor) for w in plan.windows) == sorted(
        (a, b, None) for a, b in children
    )


def test_a_child_page_in_the_same_batch_checkpoints_the_child(conn, stager):
    children = tuple(split_range(START, CUT + MS, 2))
    newest_child = children[0]
    parent = split_page(stager, children, page_bytes([observation("p", CUT + timedelta(hours=1))]))
    stager.seq += 1
    child = stager.spool.write(
        stager.seq,
        page_bytes([observation("c", newest_child[0] + timedelta(seconds=1))]),
        newest_child,
        None,
        "child-cursor-1",
    )
    write_batch(conn, DAY.date(), [parent, child], LOADED_AT, ZERO_COUNTERS)
    assert loaded(conn) == ["c", "p"]
    assert (newest_child[0], newest_child[1], "open", "child-cursor-1", 1) in windows(conn)


def test_nothing_after_a_corrupt_page_commits_not_even_another_window(conn, stager):
    children = tuple(split_range(START, CUT + MS, 2))
    corrupt = page_bytes([observation("lost", CUT + timedelta(hours=1))])[:-30] + b"}{"
    parent = split_page(stager, children, corrupt)
    stager.seq += 1
    child = stager.spool.write(
        stager.seq,
        page_bytes([observation("c", children[0][0] + timedelta(seconds=1))]),
        children[0],
        None,
        None,
    )
    result = write_batch(conn, DAY.date(), [parent, child], LOADED_AT, ZERO_COUNTERS)
    assert [page.seq for page in result.corrupt] == [parent.seq]
    assert result.committed == []
    assert loaded(conn) == []
    assert windows(conn) == [(START, END, "open", None, 0)]  # the split was not recorded
