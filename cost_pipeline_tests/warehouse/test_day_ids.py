"""The stored ids' hashes that let a one-pass batch skip the search for earlier copies: whatever
wrote the day's rows before, a one-pass batch still replaces every earlier copy of its ids."""

from datetime import timedelta

from cost_pipeline.warehouse.single_pass import write_single_pass
from cost_pipeline.warehouse.state import ZERO_COUNTERS
from cost_pipeline.warehouse.upsert import write_batch
from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT
from cost_pipeline_tests.warehouse.test_single_pass import START, open_warehouse


def copies(conn) -> dict[str, int]:
    rows = conn.execute("select id, count(*) from raw_generations group by id").fetchall()
    return dict(rows)


def test_ids_the_careful_path_stored_are_still_found(tmp_path, stager):
    with open_warehouse(tmp_path / "w.duckdb") as conn:
        # A reject sends this batch the careful way, after the one-pass try built the hashes.
        odd = page_bytes(
            [observation("x", START), observation("bad", START, usageDetails={"input": -1})]
        )
        assert not write_batch(conn, DAY.date(), stager.spool_pages([odd]), LOADED_AT,
                               ZERO_COUNTERS).single_pass  # fmt: skip
        again = page_bytes([observation("x", START, model="newer")])
        later = LOADED_AT + timedelta(seconds=1)
        result = write_single_pass(conn, DAY.date(), stager.spool_pages([again]), later,
                                   ZERO_COUNTERS)  # fmt: skip
        assert result is not None and (result.rows_loaded, result.rows_new) == (1, 0)
        assert copies(conn) == {"x": 1}


def test_a_new_connection_finds_the_ids_an_earlier_one_stored(tmp_path, stager):
    path = tmp_path / "w.duckdb"
    first = page_bytes([observation(f"g{i}", START) for i in range(5)])
    with open_warehouse(path) as conn:
        write_single_pass(conn, DAY.date(), stager.spool_pages([first]), LOADED_AT, ZERO_COUNTERS)
    with open_warehouse(path) as conn:
        again = page_bytes([observation("g3", START, model="newer"), observation("h", START)])
        later = LOADED_AT + timedelta(seconds=1)
        result = write_single_pass(conn, DAY.date(), stager.spool_pages([again]), later,
                                   ZERO_COUNTERS)  # fmt: skip
        assert result is not None and (result.rows_loaded, result.rows_new) == (2, 1)
        assert copies(conn) == {"g0": 1, "g1": 1, "g2": 1, "g3": 1, "g4": 1, "h": 1}


def searched_for_earlier_copies(conn) -> bool:
    tables = conn.execute("select table_name from duckdb_tables() where temporary").fetchall()
    return ("superseded",) in tables


def test_only_a_batch_whose_id_hashes_meet_a_stored_one_searches_the_day(tmp_path, stager):
    with open_warehouse(tmp_path / "w.duckdb") as conn:
        first = page_bytes([observation(f"g{i}", START) for i in range(50)])
        write_single_pass(conn, DAY.date(), stager.spool_pages([first]), LOADED_AT, ZERO_COUNTERS)
        fresh = page_bytes([observation(f"n{i}", START) for i in range(50)])
        later = LOADED_AT + timedelta(seconds=1)
        write_single_pass(conn, DAY.date(), stager.spool_pages([fresh]), later, ZERO_COUNTERS)
        assert not searched_for_earlier_copies(conn)
        again = page_bytes([observation("n7", START, model="newer"), observation("m", START)])
        result = write_single_pass(conn, DAY.date(), stager.spool_pages([again]),
                                   later + timedelta(seconds=1), ZERO_COUNTERS)  # fmt: skip
        assert searched_for_earlier_copies(conn)
        assert result is not None and (result.rows_loaded, result.rows_new) == (2, 1)
