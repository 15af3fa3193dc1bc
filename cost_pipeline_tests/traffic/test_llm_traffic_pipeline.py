"""llm_traffic end to end on real parts: serve-local, the real SDKs, Dagster, a DuckDB file.

A past partition is materialized; its generations must start inside that day, be readable
through the v2 API, load into raw_generations, and pass the canary. Tampering with one loaded
row must make the canary fail and name the call.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from cost_pipeline.assets.canary import synthetic_traffic_canary
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.assets.traffic import llm_traffic
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.traffic.runner import run_partition
from cost_pipeline.traffic.targets import resolve_targets
from cost_pipeline.traffic.workload import load_workload
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.traffic.simulated_env import traffic_to_serve_local

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_traffic_pipeline")

DAY = date(2026, 3, 5)
CALLS = 30
ASSETS = [llm_traffic, raw_generations, *sql_model_assets]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Server, environment and warehouse for the module; llm_traffic materialized once."""
    root = tmp_path_factory.mktemp("traffic")
    with traffic_to_serve_local(root) as server:
        resources = {
            "warehouse": WarehouseResource(database=str(root / "warehouse.duckdb")),
            "langfuse": LangfuseResource(),
        }
        run_config = {"ops": {"llm_traffic": {"config": {"calls_per_partition": CALLS}}}}
        result = dg.materialize(
            [llm_traffic],
            partition_key=DAY.isoformat(),
            resources=resources,
            run_config=run_config,
        )
        assert result.success
        yield server, resources, result


def _log(resources) -> list[tuple]:
    with resources["warehouse"].get_connection(read_only=True) as con:
        return con.execute(
            "select observation_id, start_time, total_tokens, feature, level "
            "from traffic_log order by call_index"
        ).fetchall()


def test_traffic_is_logged_with_start_times_inside_the_day(pipeline):
    _, resources, result = pipeline
    rows = _log(resources)
    assert len(rows) == CALLS
    assert all(row[1].date() == DAY for row in rows)
    metadata = result.asset_materializations_for_node("llm_traffic")[0].metadata
    assert metadata["sent_calls"].value == CALLS and metadata["mode"].text == "simulator"


def test_generations_are_readable_in_the_day_with_the_logged_tokens(pipeline):
    server, resources, result = pipeline
    params = {
        "fromStartTime": f"{DAY}T00:00:00Z",
        "toStartTime": f"{DAY + timedelta(days=1)}T00:00:00Z",
        "fields": "core,basic,usage,metadata",
        "limit": 1000,
        "type": "GENERATION",
    }
    with server.api() as api:
        data = api.get("/api/public/v2/observations", params=params).json()["data"]
    by_id = {row["id"]: row for row in data}
    for observation_id, _, total, feature, level in _log(resources):
        generation = by_id[observation_id]
        assert generation["usageDetails"].get("total", 0) == (total or 0)
        assert generation["level"] == level
        assert generation["metadata"].get("feature") == feature
        assert generation["metadata"]["traffic_batch"] == result.run_id


def test_canary_passes_then_names_a_tampered_call(pipeline):
    _, resources, _ = pipeline
    loaded = dg.materialize(
        [*ASSETS, synthetic_traffic_canary],
        selection=dg.AssetSelection.assets(
            "raw_generations", "stg_generations", "spend_by_feature_team"
        )
        | dg.AssetSelection.checks(synthetic_traffic_canary),
        partition_key=DAY.isoformat(),
        resources=resources,
    )
    (evaluation,) = loaded.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.metadata
    assert evaluation.metadata["checked_calls"].value == CALLS

    victim = _log(resources)[0][0]
    with duckdb.connect(resources["warehouse"].database) as con:
        con.execute("delete from raw_generations where id = ?", [victim])
    checked = dg.materialize(  # the models again (the check alone has no partitioned asset)
        [*ASSETS, synthetic_traffic_canary],
        selection=dg.AssetSelection.assets("stg_generations", "spend_by_feature_team")
        | dg.AssetSelection.checks(synthetic_traffic_canary),
        partition_key=DAY.isoformat(),
        resources=resources,
    )
    (evaluation,) = checked.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["missing_ids"].text == victim
    summary = evaluation.metadata["summary"].text
    assert summary.startswith(f"of {CALLS} calls sent: 1 missing from raw_generations;")
    assert '{"full_refresh": true}' in summary


def test_live_mode_sends_at_most_the_cap_and_only_to_keyed_providers(pipeline):
    """Live mode pointed at the simulator (as if it were the real API): the cap holds."""
    server, _, _ = pipeline
    environ = {"OPENAI_API_KEY": "sk-live-test", "OPENAI_BASE_URL": f"{server.base_url}/openai/v1"}
    targets = resolve_targets("live", max_live_calls=3, environ=environ)
    workload = load_workload().with_overrides(calls_per_partition=12)
    traffic = run_partition(workload, DAY - timedelta(days=1), targets, batch_id="live-cap")
    assert len(traffic.records) == 3
    assert traffic.skipped == 12 - 3
    assert {record.recorded.provider for record in traffic.records} == {"openai"}
    assert all(record.call.fault is None for record in traffic.records)  # no forced faults live
