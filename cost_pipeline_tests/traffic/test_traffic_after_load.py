"""``llm_traffic`` run again for a day already loaded, in the same run as the load (the job).

"Materialize all" on a partition, "re-execute all" of a failed daily run or a backfill of
``daily_spend_job`` sends another batch for the day, backdated over the whole day, and loads it
in the same run. The load is incremental from the day's latest start time minus the lookback,
which the earlier calls of the batch are before: the run's own canary then failed with "N
missing", though the loader could know from ``traffic_log`` that they were sent.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from cost_pipeline.assets.canary import synthetic_traffic_canary
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.assets.traffic import llm_traffic
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.traffic.simulated_env import traffic_to_serve_local

DAY = date(2026, 3, 6)
CALLS = 20
ASSETS = [llm_traffic, raw_generations, *sql_model_assets, synthetic_traffic_canary]


def test_a_second_batch_for_a_loaded_day_is_loaded_by_the_same_run(tmp_path):
    with traffic_to_serve_local(tmp_path):
        warehouse = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"))
        resources = {"warehouse": warehouse, "langfuse": LangfuseResource()}
        run_config = {"ops": {"llm_traffic": {"config": {"calls_per_partition": CALLS}}}}

        def the_job() -> dg.ExecuteInProcessResult:
            return dg.materialize(
                ASSETS,
                partition_key=DAY.isoformat(),
                resources=resources,
                run_config=run_config,
                raise_on_error=False,
            )

        first, second = the_job(), the_job()

    assert first.success and second.success
    with warehouse.get_connection(read_only=True) as con:
        (high_water,) = con.execute(
            "select max(start_time) from traffic_log where batch_id = ?", [first.run_id]
        ).fetchone()
        (earliest,) = con.execute(
            "select min(start_time) from traffic_log where batch_id = ?", [second.run_id]
        ).fetchone()
        assert earliest < high_water - timedelta(hours=2)  # before the plain lookback window
        (loaded,) = con.execute("select count(*) from raw_generations").fetchone()
    assert loaded == 2 * CALLS
    (canary,) = second.get_asset_check_evaluations()
    assert canary.passed, canary.metadata["summary"].text
    (load,) = second.asset_materializations_for_node("raw_generations")
    assert load.metadata["rows_upserted_new"].value == CALLS
    assert load.metadata["mode"].text == "incremental"
