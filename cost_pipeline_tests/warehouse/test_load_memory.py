"""LoadMemory: work that runs out of DuckDB memory runs again with twice the limit, bounded."""

import duckdb
import pytest

from cost_pipeline.warehouse.load_memory import (
    DEFAULT_MEMORY_LIMIT_MB,
    MAX_AUTO_MEMORY_LIMIT_MB,
    LoadMemory,
    LoadOutOfMemoryError,
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
    memory, warnings = LoadMemory(adjustable=True), []
    result = memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", warnings.append)
    assert result == (1_500_000,)
    assert memory.limit_mb == 4 * DEFAULT_MEMORY_LIMIT_MB
    assert limit_of(conn) == limit_of(duckdb.connect(config={"memory_limit": "384MB"}))
    assert [w.split(" needed")[0] for w in warnings] == ["counting", "counting"]
    assert "96MB" in warnings[0] and "192MB" in warnings[0] and "384MB" in warnings[1]


def test_a_raised_limit_carries_over_to_the_next_connection(conn):
    memory = LoadMemory(adjustable=True)
    memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", lambda _: None)
    with duckdb.connect(config={"memory_limit": "96MB"}) as later:
        memory.apply(later)
        assert limit_of(later) == limit_of(conn)


def test_a_limit_the_user_set_is_never_raised(conn):
    memory = LoadMemory(adjustable=False)
    with pytest.raises(LoadOutOfMemoryError, match=r"memory_limit 96MB(.|\n)*connection_config"):
        memory.run(conn, lambda: conn.execute(HUNGRY).fetchone(), "counting", lambda _: None)
    assert memory.limit_mb == DEFAULT_MEMORY_LIMIT_MB


def test_the_limit_stops_doubling_at_the_cap(conn):
    memory, warnings = LoadMemory(adjustable=True), []
    memory.limit_mb = MAX_AUTO_MEMORY_LIMIT_MB // 2
    conn.execute(f"set memory_limit = '{memory.limit_mb}MB'")
    # Work that needs more than any limit: it fails once more at the cap, with the settings.
    hopeless = "select count(distinct i::varchar || repeat('x', 2000)) from range(2000000) t(i)"
    with pytest.raises(LoadOutOfMemoryError, match="batch_pages"):
        memory.run(conn, lambda: conn.execute(hopeless).fetchone(), "counting", warnings.append)
    assert memory.limit_mb == MAX_AUTO_MEMORY_LIMIT_MB
    assert len(warnings) == 1
