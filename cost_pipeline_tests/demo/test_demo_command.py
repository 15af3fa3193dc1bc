"""`cost-pipeline demo` end to end in a subprocess: traffic, load, models, export, report."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_chain_prints_spend_and_stops_the_server(tmp_path):
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "COST_PIPELINE_HOME": str(home),
    }
    if "UV" in os.environ:  # `make demo` (uv run) hands it over: where uv is when not on PATH
        env["UV"] = os.environ["UV"]
    output = _demo(env, tmp_path)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()

    warehouse = home / "warehouse.duckdb"
    assert "LLM spend by feature and team" in output
    assert f"duckdb -readonly {warehouse}" in output
    assert "serve-local stopped." in output
    assert "synthetic_traffic_canary" not in output
    sent, loaded, in_mart = _day_counts(warehouse, yesterday)
    assert sent > 0
    assert sent == loaded == in_mart
    assert f"Loaded {loaded:,} generations" in output
    folder = home / "exports" / "spend_by_feature_team" / f"date={yesterday.isoformat()}"
    assert {p.name for p in folder.iterdir()} == {
        "spend_by_feature_team.csv",
        "spend_by_feature_team.parquet",
    }
    assert not _serve_local_running(home)
    _the_printed_python_query_runs(output)


def test_a_second_demo_sends_no_more_traffic_and_the_counts_still_agree(tmp_path):
    # The demo's traffic is backdated: a second batch for a loaded day would start hours before
    # the loader's lookback, and an incremental load would miss most of it.
    home = tmp_path / "home"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "COST_PIPELINE_HOME": str(home)}  # fmt: skip
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    _demo(env, tmp_path)
    first = _day_counts(home / "warehouse.duckdb", yesterday)

    output = _demo(env, tmp_path)
    assert "1 of these days already have traffic from an earlier demo" in output
    assert "synthetic_traffic_canary" not in output
    assert _day_counts(home / "warehouse.duckdb", yesterday) == first
    assert f"Loaded {first[1]:,} generations" in output  # the day was re-read whole


def _demo(env: dict[str, str], cwd: Path) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "cost_pipeline.cli", "demo", "--days", "1"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    return output


def _day_counts(warehouse: Path, day) -> tuple[int, int, int]:
    """Calls logged as sent, rows loaded and calls in the mart for ``day``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sent = con.execute(
            "select count(distinct observation_id) from traffic_log where partition_date = ?",
            [day],
        ).fetchone()[0]
        loaded = con.execute(
            "select count(*) from raw_generations where partition_date = ?", [day]
        ).fetchone()[0]
        in_mart = con.execute(
            "select sum(calls) from spend_by_feature_team where date = ?", [day]
        ).fetchone()[0]
    return sent, loaded, in_mart


def _the_printed_python_query_runs(output: str) -> None:
    (line,) = [line for line in output.splitlines() if " run python -c " in line]
    command = line.strip().removesuffix("(in the project folder)")
    completed = subprocess.run(
        command,
        shell=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "cost_usd" in completed.stdout, completed.stdout


def _serve_local_running(home: Path) -> bool:
    marker = str(home / "langfuse-local").encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_bytes() and b"serve-local" in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False
