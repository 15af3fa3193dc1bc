"""The loading process never imports pandas, although it is installed (a dev dependency here,
and common beside any data stack): DuckDB's Python client imports it on the first bound value,
so the loader writes its values into the SQL instead (warehouse/inline_params.py)."""

import importlib.util
import json
import subprocess
import sys
from datetime import timedelta

from cost_pipeline_tests.warehouse.loading import BASE_DAY, spread_over

CHILD = """
import json, sys
import dagster as dg
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource

base_url, public_key, secret_key, database, day = sys.argv[1:]
result = dg.materialize(
    [raw_generations],
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
    "pandas_imported": "pandas" in sys.modules,
}))
"""


def test_a_load_runs_without_importing_pandas(serve_local, tmp_path):
    assert importlib.util.find_spec("pandas") is not None  # installed: the test can fail
    day = BASE_DAY - timedelta(days=40)
    serve_local.inject(spread_over(day, 2500, "nopandas"))
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
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome == {"success": True, "rows_loaded": 2500, "pandas_imported": False}
