"""A step whose warehouse another process holds (a BI tool, a notebook) says so and gets in soon.

Found operating ``cost-pipeline dev``: with a read-only DuckDB connection open elsewhere, a
``raw_generations`` step sat 52 s with nothing in its log, and got in ~28 s after the reader had
let go (doubling back-off: the next attempt came 12.8, 25.6, 51.2 s after the one before).
"""

import logging
import threading
import time

import dagster as dg
import duckdb

from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.warehouse.file_holder import hold_file

HELD_S = 7.0  # long enough for the doubling back-off to be 5 s between attempts


def test_a_step_waiting_for_the_file_says_who_holds_it_and_gets_in_once_it_is_free(tmp_path):
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table t as select 42 as answer")
    holder = hold_file(database, read_only=True)
    connected_at: list[float] = []

    @dg.asset
    def writes_the_warehouse(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            connected_at.append(time.monotonic())
            assert con.execute("select answer from t").fetchone() == (42,)

    instance = dg.DagsterInstance.ephemeral()
    results: list[dg.ExecuteInProcessResult] = []
    run = threading.Thread(
        target=lambda: results.append(
            dg.materialize(
                [writes_the_warehouse],
                resources={"warehouse": WarehouseResource(database=str(database))},
                instance=instance,
            )
        )
    )
    try:
        run.start()
        time.sleep(HELD_S)  # the reader keeps the file this long (the scenario, not a race)
        assert not connected_at
    finally:
        holder.stdin.close()
        holder.wait(30)
    released_at = time.monotonic()
    run.join(120)
    (result,) = results
    assert result.success
    assert connected_at[0] - released_at < 2.0
    messages = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level >= logging.WARNING
    ]
    (waiting,) = [m for m in messages if "locked by another process" in m]
    assert f"PID {holder.pid}" in waiting
    assert "exports" in waiting
