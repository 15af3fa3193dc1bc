"""The one-statement write: taken for clean batches, refused (nothing written) for batches the
careful path must sort out, and for any input it takes, the same rows as the careful path."""

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline.warehouse.parse import prepare_session
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.single_pass import write_single_pass
from cost_pipeline.warehouse.spool import PageSpool
from cost_pipeline.warehouse.state import ZERO_COUNTERS, start_load
from cost_pipeline.warehouse.upsert import write_batch, write_carefully
from cost_pipeline_tests.warehouse.observations import iso, observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT, WINDOW, Stager
from cost_pipeline_tests.warehouse.test_parse_properties import observations

START = DAY + timedelta(hours=3)


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    prepare_session(conn)
    start_load(conn, DAY.date(), "full", [WINDOW], LOADED_AT)
    return conn


@pytest.fixture
def conn(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as connection:
        yield connection


def pages(stager, *bodies: bytes):
    return stager.spool_pages(list(bodies))


def stored(conn) -> list[tuple]:
    return conn.execute(
        "select * exclude (loaded_at) from raw_generations order by id, start_time"
    ).fetchall()


def test_a_clean_batch_is_written_in_one_pass(conn, stager):
    body = page_bytes([observation(f"g{i}", START + timedelta(seconds=i)) for i in range(40)])
    result = write_single_pass(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS)
    assert result is not None and result.single_pass
    assert (result.rows_received, result.rows_loaded, result.rows_new) == (40, 40, 40)
    assert result.counters.pages == 1 and result.counters.rows_loaded == 40
    assert conn.execute("select count(*) from raw_generations").fetchone() == (40,)


@pytest.mark.parametrize(
    "odd",
    [
        observation("neg", START, usageDetails={"input": -1}),  # a row to reject
        observation(None, START),
        observation("early", DAY - timedelta(seconds=1)),  # outside the window
    ],
    ids=["bad-usage", "no-id", "outside-window"],
)
def test_a_batch_with_something_to_sort_out_is_refused_and_leaves_nothing(conn, stager, odd):
    body = page_bytes([observation("fine", START), odd])
    assert (
        write_single_pass(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS) is None
    )
    assert conn.execute("select count(*) from raw_generations").fetchone() == (0,)
    assert conn.execute("select count(*) from ingest_state where pages > 0").fetchone() == (0,)
    # write_batch then takes the careful path, which loads what is usable.
    result = write_batch(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS)
    assert not result.single_pass
    assert "fine" in {row[0] for row in conn.execute("select id from raw_generations").fetchall()}


def test_a_repeated_id_is_refused_because_page_order_decides_the_winner(conn, stager):
    first = page_bytes([observation("twice", START, model="old")])
    second = page_bytes([observation("twice", START, model="new")])
    batch = pages(stager, first, second)
    assert write_single_pass(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS) is None
    result = write_batch(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS)
    assert (result.rows_loaded, result.rows_duplicate, result.single_pass) == (1, 1, False)
    assert conn.execute("select model from raw_generations").fetchall() == [("new",)]


def test_a_page_that_is_not_json_is_refused(conn, stager):
    corrupt = page_bytes([observation("lost", START)])[:-30] + b"}{"
    assert (
        write_single_pass(conn, DAY.date(), pages(stager, corrupt), LOADED_AT, ZERO_COUNTERS)
        is None
    )


def test_a_newer_batch_replaces_earlier_copies_in_one_pass(conn, stager):
    old = page_bytes([observation("a", START, model="old"), observation("b", START)])
    write_single_pass(conn, DAY.date(), pages(stager, old), LOADED_AT, ZERO_COUNTERS)
    new = page_bytes([observation("a", START, model="new"), observation("c", START)])
    later = LOADED_AT + timedelta(seconds=1)
    result = write_single_pass(conn, DAY.date(), pages(stager, new), later, ZERO_COUNTERS)
    assert result is not None
    assert (result.rows_loaded, result.rows_new) == (2, 1)
    rows = conn.execute("select id, model from raw_generations order by id").fetchall()
    assert rows == [("a", "new"), ("b", "gpt-4o"), ("c", "gpt-4o")]


def updated(model: str, hours: int) -> dict:
    """Generation "a" as Langfuse last updated it ``hours`` after it started."""
    return observation("a", START, model=model, updatedAt=iso(START + timedelta(hours=hours)))


@pytest.mark.parametrize("writer", [write_batch, write_carefully])
def test_a_stored_copy_langfuse_updated_later_stays(conn, stager, writer):
    # Read later but updated earlier (listed twice before Langfuse merged its updates, or read
    # by a window that ran late): the stored copy is the generation's current state.
    write_batch(conn, DAY.date(), pages(stager, page_bytes([updated("newer", 2)])), LOADED_AT,
                ZERO_COUNTERS)  # fmt: skip
    stale = page_bytes([updated("stale", 1), observation("b", START)])
    later = LOADED_AT + timedelta(seconds=1)
    result = writer(conn, DAY.date(), pages(stager, stale), later, ZERO_COUNTERS)
    assert result.single_pass == (writer is write_batch)
    rows = conn.execute("select id, model from raw_generations order by id").fetchall()
    assert rows == [("a", "newer"), ("b", "gpt-4o")]
    assert (result.rows_loaded, result.rows_new, result.rows_duplicate) == (1, 1, 1)
    # Updated later than the stored copy: it replaces it, by either path.
    fresh = page_bytes([updated("newest", 3)])
    again = writer(conn, DAY.date(), pages(stager, fresh), later + timedelta(seconds=1),
                   ZERO_COUNTERS)  # fmt: skip
    assert (again.rows_loaded, again.rows_new, again.rows_duplicate) == (1, 0, 0)
    assert conn.execute("select model from raw_generations where id = 'a'").fetchall() == [
        ("newest",)
    ]


def test_within_a_batch_the_copy_updated_last_wins_whatever_the_page_order(conn, stager):
    batch = pages(stager, page_bytes([updated("newer", 2)]), page_bytes([updated("stale", 1)]))
    result = write_batch(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS)
    assert not result.single_pass  # a repeated id: the careful path decides
    assert (result.rows_loaded, result.rows_duplicate) == (1, 1)
    assert conn.execute("select model from raw_generations").fetchall() == [("newer",)]


def test_stored_rows_sharing_the_batch_loaded_at_send_it_the_careful_way(conn, stager):
    body = page_bytes([observation("same", START)])
    write_batch(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS)
    # Same loaded_at again (a clock that went back): one pass cannot tell the copies apart.
    assert (
        write_single_pass(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS) is None
    )
    result = write_batch(conn, DAY.date(), pages(stager, body), LOADED_AT, ZERO_COUNTERS)
    assert (result.rows_loaded, result.rows_new) == (1, 0)
    assert conn.execute("select count(*) from raw_generations").fetchone() == (1,)


def test_an_id_that_turns_good_leaves_rejected_generations(conn, stager):
    bad = page_bytes([observation("flaky", START, usageDetails={"input": -1})])
    write_batch(conn, DAY.date(), pages(stager, bad), LOADED_AT, ZERO_COUNTERS)
    assert conn.execute("select count(*) from rejected_generations").fetchone() == (1,)
    good = page_bytes([observation("flaky", START)])
    later = LOADED_AT + timedelta(seconds=1)
    assert write_single_pass(conn, DAY.date(), pages(stager, good), later, ZERO_COUNTERS)
    assert conn.execute("select count(*) from rejected_generations").fetchone() == (0,)


@pytest.mark.parametrize("writer", [write_batch, write_carefully])
def test_a_stale_good_copy_still_clears_the_id_from_rejected_generations(conn, stager, writer):
    # Stored (updated 2 h after its start), then rejected, then listed good but updated earlier:
    # the stored copy stays, and the id is usable, so it is no reject. Both paths agree.
    write_batch(conn, DAY.date(), pages(stager, page_bytes([updated("kept", 2)])), LOADED_AT,
                ZERO_COUNTERS)  # fmt: skip
    bad = page_bytes([observation("a", START, usageDetails={"input": -1})])
    write_batch(conn, DAY.date(), pages(stager, bad), LOADED_AT + timedelta(seconds=1),
                ZERO_COUNTERS)  # fmt: skip
    assert conn.execute("select count(*) from rejected_generations").fetchone() == (1,)
    stale = page_bytes([updated("stale", 1)])
    writer(conn, DAY.date(), pages(stager, stale), LOADED_AT + timedelta(seconds=2), ZERO_COUNTERS)
    assert conn.execute("select count(*) from rejected_generations").fetchone() == (0,)
    assert conn.execute("select model from raw_generations").fetchall() == [("kept",)]


def test_each_row_is_checked_against_its_own_pages_window(tmp_path, stager):
    # Pages of three windows, as concurrent fetchers queue them, between empty pages of other
    # windows: a row must be matched with its own page's window, not a neighbour's.
    hours = [(DAY + timedelta(hours=h), DAY + timedelta(hours=h + 1)) for h in (1, 2, 3)]

    def page(window: int, *rows: tuple[str, int]) -> list:
        body = page_bytes([observation(i, hours[h][0] + timedelta(minutes=5)) for i, h in rows])
        return stager.spool_pages([body], hours[window])

    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
        prepare_session(conn)
        start_load(conn, DAY.date(), "full", hours, LOADED_AT)
        batch = []
        for h in range(3):
            batch += [*page((h + 1) % 3), *page(h, (f"h{h}-a", h), (f"h{h}-b", h))]
        result = write_single_pass(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS)
        assert result is not None and result.rows_loaded == 6
        # A row inside the previous or the next page's window but not its own: refused.
        later = LOADED_AT + timedelta(seconds=1)
        for stray in [("stray", 0), ("stray", 2)]:
            mixed = [*page(0, ("x", 0)), *page(1, stray), *page(2, ("y", 2))]
            assert write_single_pass(conn, DAY.date(), mixed, later, result.counters) is None
        assert conn.execute("select count(*) from raw_generations").fetchone() == (6,)


def test_key_value_folders_in_the_spool_path_do_not_become_columns(conn, tmp_path):
    # DuckDB reads `key=value` folders as Hive partition columns unless told not to: here they
    # would overwrite the rows' id and environment and the row's page.
    parent = tmp_path / "id=x" / "environment=prod" / "page=7"
    parent.mkdir(parents=True)
    rows = [observation(f"g{i}", START + timedelta(seconds=i)) for i in range(6)]
    with PageSpool(str(parent)) as spool:
        batch = Stager(spool).spool_pages([page_bytes(rows[:3]), page_bytes(rows[3:])])
        result = write_single_pass(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS)
    assert result is not None and result.rows_loaded == 6
    stored_rows = conn.execute("select id, environment from raw_generations order by id").fetchall()
    assert stored_rows == [(f"g{i}", "production") for i in range(6)]


clean = st.integers(0, 86_399_999).map(
    lambda ms: observation(f"clean-{ms}", DAY + timedelta(milliseconds=ms))
)
# Mostly clean rows, so that many batches are ones the single pass takes.
clean_or_odd = st.one_of(clean, clean, clean, clean, observations())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.lists(clean_or_odd, min_size=1, max_size=6), min_size=1, max_size=3))
def test_whatever_it_takes_it_stores_exactly_what_the_careful_path_stores(tmp_path, page_rows):
    bodies = [page_bytes(rows) for rows in page_rows]
    results = {}
    contents = {}
    for path in ("fast", "careful"):
        folder = tmp_path / f"{path}-{datetime.now().timestamp()}"
        folder.mkdir()
        with PageSpool(str(folder)) as spool, open_warehouse(folder / "w.duckdb") as conn:
            batch = [spool.write(i, body, WINDOW, None, None) for i, body in enumerate(bodies)]
            write = write_batch if path == "fast" else write_carefully
            results[path] = write(conn, DAY.date(), batch, LOADED_AT, ZERO_COUNTERS)
            contents[path] = (
                stored(conn),
                conn.execute(
                    "select id, reason, raw::varchar from rejected_generations order by all"
                ).fetchall(),
            )
    fast, careful = results["fast"], results["careful"]
    assert contents["fast"] == contents["careful"]
    counts = ("rows_received", "rows_loaded", "rows_new", "rows_rejected", "rows_duplicate")
    assert [getattr(fast, c) for c in counts] == [getattr(careful, c) for c in counts]
    assert fast.high_water == careful.high_water
    assert fast.counters == careful.counters
    if fast.single_pass:  # it took the batch: nothing in it needed sorting out
        assert careful.rows_rejected == careful.rows_duplicate == 0
