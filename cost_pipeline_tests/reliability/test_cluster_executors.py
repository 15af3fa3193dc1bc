"""The README's code location for cluster executors, loaded as written: the daily job on
dagster-k8s's and dagster-celery's executors, with every warehouse step still in the writer pool.
The Celery job runs one day for real through Celery's eager mode (each step a Celery task
executed from the instance and the reconstructed job, as a worker would; no broker here), and
loads exactly the day's generations. No cluster here: the k8s job is loaded, not launched."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.local.seed import seed_generations
from cost_pipeline.warehouse.resource import WRITER_POOL
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import assert_exactly_the_truth, query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability_cluster")]

REPO = Path(__file__).resolve().parents[2]
DAY = datetime.now(UTC).date() - timedelta(days=40)
ROWS = 300
CELERY_EAGER = {
    "execution": {"config": {"broker": "memory://", "config_source": {"task_always_eager": True}}}
}


def readme_location(folder: Path) -> Path:
    (block,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
        if "k8s_job_executor" in b
    ]
    path = folder / "cluster_location.py"
    path.write_text(block)
    return path


def test_the_readme_location_puts_the_daily_job_on_both_executors(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(readme_location(tmp_path).parent))
    import cluster_location

    defs = cluster_location.defs
    dg.Definitions.validate_loadable(defs)
    production = defs.resolve_job_def("daily_spend_job")
    for executor in ("k8s", "celery"):
        job = defs.resolve_job_def(f"daily_spend_job_{executor}")
        assert job.executor_def.name == executor
        assert set(job.graph.node_dict) == set(production.graph.node_dict)
        pools = {name: node.definition.pool for name, node in job.graph.node_dict.items()}
        assert set(pools.values()) == {WRITER_POOL}, pools


def test_the_celery_job_loads_a_day_exactly_once(tmp_path):
    location = readme_location(tmp_path)
    (tmp_path / "run_config.json").write_text(json.dumps(CELERY_EAGER))
    with start_serve_local(tmp_path) as server:
        seed_generations(server.data_dir, DAY, ROWS, seed=7)
        home = tmp_path / "home"
        env = {
            **os.environ,
            **server.env(),
            "DAGSTER_HOME": str(ensure_dagster_home(tmp_path / "dagster_home")),
            "COST_PIPELINE_HOME": str(home),
        }
        command = [str(Path(sys.executable).parent / "dagster"), "job", "execute",
                   "-f", str(location), "-j", "daily_spend_job_celery", "-o", "raw_generations*",
                   "-c", str(tmp_path / "run_config.json"),
                   "--tags", json.dumps({"dagster/partition": DAY.isoformat()})]  # fmt: skip
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        database = home / "warehouse.duckdb"
        assert_exactly_the_truth(server, database, DAY)
    assert query(database, "select sum(calls) from spend_by_feature_team") == [(ROWS,)]
    assert (home / "exports" / "spend_by_feature_team" / f"date={DAY}").is_dir()
    # Every step went through a Celery task, not Dagster's in-process executor.
    submitted = set(
        re.findall(r'Submitting celery task for step "(\w+)"', done.stdout + done.stderr)
    )
    assert {"raw_generations", "stg_generations", "spend_by_feature_team", "spend_export"} <= (
        submitted
    )
