"""The nightly chain never imports pandas, although it is installed (a dev dependency here, and
common beside any data stack): DuckDB's Python client imports it on the first bound value (0.4-0.6
CPU-s and ~78 MB in each run's process), so every warehouse connection writes its values into
the SQL instead (warehouse/inline_params.py)."""

import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta

from cost_pipeline_tests.warehouse.loading import BASE_DAY, spread_over

CHILD = """
import json, sys
import dagster as dg
from cost_pipeline.assets.canary import synthetic_traffic_canary
from cost_pipeline.assets.checks import spend_checks
from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource

base_url, public_key, secret_key, database, day, scope = sys.argv[1:]
chain = [*sql_model_assets, spend_export, *spend_checks, synthetic_traffic_canary]
result = dg.materialize(
    [raw_generations, *(chain if scope == "chain" else [])],
    partition_key=day,
    resources={
        "warehouse": WarehouseResource(database=database),
        "langfuse": LangfuseResource(
            base_url=base_url, public_key=public_key, secret_key=secret_key
        ),
    },
)
meta = result.asset_materializations_for_node("raw_generations")[0].metadata
print(json.dumps({
    "success": result.success,
    "rows_loaded": meta["rows_loaded"].value,
    "steps": sorted({e.step_key for e in result.all_events if e.is_step_success}),
    "checks": sorted(
        e.asset_check_evaluation_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ),
    "pandas_imported": "pandas" in sys.modules,
}))
"""


def run_without_pandas(serve_local, tmp_path, scope: str) -> dict:
    """Materialize the load (or the whole nightly chain) in a fresh process; what it reports."""
    assert importlib.util.find_spec("pandas") is not None  # installed: the test can fail
    day = BASE_DAY - timedelta(days=40 if scope == "load" else 41)
    serve_local.inject(spread_over(day, 2500, f"nopandas-{scope}"))
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            serve_local.base_url,
            serve_local.public_key,
            serve_local.secret_key,
            str(tmp_path / "w.duckdb"),
            day.isoformat(),
            scope,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "COST_PIPELINE_HOME": str(tmp_path / "home")},  # the exports' root
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_load_runs_without_importing_pandas(serve_local, tmp_path):
    outcome = run_without_pandas(serve_local, tmp_path, "load")
    assert outcome["steps"] == ["raw_generations"]
    assert (outcome["success"], outcome["rows_loaded"], outcome["pandas_imported"]) == (
        True,
        2500,
        False,
    )


def test_the_models_checks_and_export_run_without_importing_pandas(serve_local, tmp_path):
    outcome = run_without_pandas(serve_local, tmp_path, "chain")
    assert {"stg_generations", "spend_by_feature_team", "spend_export"} <= set(outcome["steps"])
    assert outcome["checks"], outcome  # the checks evaluated in the same process
    assert list((tmp_path / "home" / "exports").rglob("spend_by_feature_team.parquet"))
    assert (outcome["success"], outcome["rows_loaded"], outcome["pandas_imported"]) == (
        True,
        2500,
        False,
    )
