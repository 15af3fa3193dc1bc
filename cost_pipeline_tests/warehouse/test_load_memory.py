"""LoadMemory: work that runs out of DuckDB memory is split while it can be, else runs again
with twice the limit, bounded."""

import duckdb
import pytest

from cost_pipeline.warehouse.load_memory import (
    DEFAULT_MEMORY_LIMIT_MB,
    MAX_AUTO_MEMORY_LIMIT_MB,
    MAX_SPLITS_BEFORE_RAISING,
    LoadMemory,
    LoadOutOfMemoryError,
    WorkTooLarge,
)

# A hash table of ~1.5M distinct 100-byte strings: more than 192MB, less than 384MB.
HUNGRY = "select count(distinct i::varchar || repeat('x', 100)) from range(1500000) t(i)"


@pytest.fixture
def conn():
    # No spill directory, so running out of memory is an error instead of a spill.
    config = {"threads": 1, "memory_limit": f"{DEFAULT_MEMORY_LIMIT_MB}MB", "temp_directory": ""}
    with duckdb.connect(config=config) as connection:
        yield connection


def limit_of(conn) -> str:
    return conn.execute("select current_setting('memory_limit')").fetchone()[0]


def test_work_that_runs_out_gets_doubled_memory_until_it_fits(conn):
    memory, warnings = LoadMemory(), []
    result = memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", warnings.append)
    assert result == (1_500_000,)
    assert memory.limit_mb == 4 * DEFAULT_MEMORY_LIMIT_MB
    assert limit_of(conn) == limit_of(duckdb.connect(config={"memory_limit": "384MB"}))
    assert [w.split(" needed")[0] for w in warnings] == ["counting", "counting"]
    assert "96MB" in warnings[0] and "192MB" in warnings[0] and "384MB" in warnings[1]


def test_a_raised_limit_carries_over_to_the_next_connection(conn):
    memory = LoadMemory()
    memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", lambda _: None)
    with duckdb.connect(config={"memory_limit": "96MB"}) as later:
        memory.apply(later)
        assert limit_of(later) == limit_of(conn)


def test_a_limit_the_user_set_is_never_raised(conn):
    memory = LoadMemory(user_limit="96MB")
    with pytest.raises(LoadOutOfMemoryError, match=r"memory_limit 96MB(.|\n)*connection_config"):
        memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", lambda _: None)
    assert memory.limit_mb == DEFAULT_MEMORY_LIMIT_MB


def test_the_limit_stops_doubling_at_the_cap(conn):
    memory, warnings = LoadMemory(), []
    memory.limit_mb = MAX_AUTO_MEMORY_LIMIT_MB // 2
    memory.splits = MAX_SPLITS_BEFORE_RAISING  # splitting is no longer tried below the cap
    conn.execute(f"set memory_limit = '{memory.limit_mb}MB'")
    # Work that needs more than any limit: it fails once more at the cap, with the settings.
    hopeless = "select count(distinct i::varchar || repeat('x', 2000)) from range(2000000) t(i)"

    def attempt(divisible: bool) -> None:
        memory.run(
            conn,
            lambda: conn.execute(hopeless).fetchone(),
            "a page",
            warnings.append,
            divisible,
            remedy=", or fewer rows per page",
        )

    with pytest.raises(LoadOutOfMemoryError, match=r"memory_limit .*, or fewer rows per page"):
        attempt(divisible=False)
    assert memory.limit_mb == MAX_AUTO_MEMORY_LIMIT_MB
    assert len(warnings) == 1
    # Work that can be split still is, at the cap, rather than failing the load.
    with pytest.raises(WorkTooLarge):
        attempt(divisible=True)


def test_divisible_work_is_split_within_the_limit_then_gets_more_memory(conn):
    memory, warnings = LoadMemory(), []

    def hungry():
        return memory.run(
            conn, lambda: conn.execute(HUNGRY).fetchone(), "a batch", warnings.append, True
        )

    for _ in range(MAX_SPLITS_BEFORE_RAISING):
        with pytest.raises(WorkTooLarge, match=r"a batch needed more than .* of 96MB"):
            hungry()
    assert memory.limit_mb == DEFAULT_MEMORY_LIMIT_MB and warnings == []
    # The day's rows keep running out: re-doing the work costs more than memory.
    assert hungry() == (1_500_000,)
    assert memory.limit_mb == 4 * DEFAULT_MEMORY_LIMIT_MB


def test_work_under_a_user_limit_is_split_as_far_as_it_goes(conn):
    conn.execute("set memory_limit = '90MB'")
    memory = LoadMemory(user_limit="90MB")
    for _ in range(MAX_SPLITS_BEFORE_RAISING + 2):
        with pytest.raises(WorkTooLarge, match="of 90MB"):
            memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "x", print, True)
    with pytest.raises(LoadOutOfMemoryError, match="within memory_limit 90MB"):
        memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "x", print)
