"""The benchmarks at tiny sizes, so they never rot: every contender loads every row.

No timing assertions (speed is for bench/ and BENCHMARKS.md); these check that the harness
still runs end to end against a real serve-local and that each contender's result is complete.
"""

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cost_pipeline.local.seed import seed_generations
from cost_pipeline.sql.project import DEFAULT_ROOT

# Each runs a benchmark end to end in its own processes (Dagster, serve-local): 10-80 s apiece.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_side_by_side_loads_every_row_with_each_contender(tmp_path):
    out = tmp_path / "compare.json"
    run_module(
        "bench.loader_compare",
        *("--rows", "300", "--runs", "1", "--work-dir", str(tmp_path), "--out", str(out)),
        "--keep",
    )
    data = json.loads(out.read_text())
    runs = data["sizes"]["300"]["runs"]
    assert set(runs) == {"ours", "dlt", "naive"}
    for results in runs.values():
        (result,) = results
        assert result["rows_loaded"] == 300
        assert result["requests"] == 1  # one page of up to 1000 rows
        assert result["peak_rss_mb"] > 0 and result["cpu_s"] > 0
        assert result["machine_probe_s"] > 0  # the VM's speed just before the run
    assert data["sizes"]["300"]["serving"]["rows"] == 300
    assert data["machine"]["nproc"] >= 1
    (ours,) = tmp_path.glob("bench-ours-*/w.duckdb")
    quality_figures_side_by_side(ours, data["day"])


def quality_figures_side_by_side(warehouse: Path, day: str) -> None:
    """bench.quality_threads runs the end-of-load figures over a loaded day on 1 and 2 threads."""
    out = run_module(
        "bench.quality_threads", "--warehouse", str(warehouse), "--day", day, "--rounds", "1"
    )
    assert [line.split(":")[0] for line in out.splitlines()] == ["threads=1", "threads=2"]


def test_latency_scenarios_keep_the_budget_and_load_every_row(tmp_path):
    out = tmp_path / "latency.json"
    run_module(
        "bench.loader_latency",
        *("--rows", "2500", "--runs", "1", "--latency-ms", "10"),
        *("--scenarios", "sequential", "budget"),
        *("--work-dir", str(tmp_path), "--out", str(out)),
    )
    data = json.loads(out.read_text())
    for name in ("sequential", "budget"):
        (result,) = data["runs"][name]
        assert result["rows_loaded"] == 2500
        assert result["max_requests_in_60s"] <= 1000
    assert data["runs"]["sequential"][0]["requests"] == 3


def test_models_over_a_seeded_warehouse_daily_and_range(tmp_path):
    out = tmp_path / "models.json"
    run_module(
        "bench.models_scale",
        *("--rows", "2000", "--days", "2", "--runs", "1"),
        *("--work-dir", str(tmp_path), "--out", str(out)),
    )
    data = json.loads(out.read_text())
    assert data["daily"][0]["rows_loaded"] == 1000
    assert data["range"][0]["rows_loaded"] == 2000
    assert data["range"][0]["extra"]["mart_rows"] > 0
    mart_query_side_by_side(tmp_path, tmp_path / "models-2000-2d.duckdb")


def mart_query_side_by_side(tmp_path: Path, warehouse: Path) -> None:
    """bench.mart_query times folders that give the same mart, and stops at one that does not."""
    same, different = tmp_path / "same", tmp_path / "different"
    shutil.copytree(DEFAULT_ROOT, same)
    shutil.copytree(DEFAULT_ROOT, different)
    mart = different / "marts" / "spend_by_feature_team.sql"
    mart.write_text(mart.read_text().replace("count(*) as calls", "count(*) + 1 as calls"))
    args = ("bench.mart_query", "--warehouse", str(warehouse), "--rounds", "2")
    out = run_module(*args, str(DEFAULT_ROOT), str(same))
    assert [line.split(":")[0] for line in out.splitlines()] == [str(DEFAULT_ROOT), str(same)]
    done = subprocess.run(
        [sys.executable, "-m", *args, str(DEFAULT_ROOT), str(different)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "differ" in done.stderr


def test_the_floor_steps_each_handle_the_whole_day(tmp_path):
    out = tmp_path / "floor.json"
    run_module(
        "bench.loader_floor",
        *("--rows", "1500", "--runs", "1", "--work-dir", str(tmp_path), "--out", str(out)),
    )
    runs = json.loads(out.read_text())["runs"]
    assert set(runs) == {"ours", "fetch", "parse", "store", "store-uncompressed", "empty-day"}
    for step in ("ours", "fetch", "parse", "store", "store-uncompressed"):
        assert runs[step][0]["rows_loaded"] == 1500, step
    assert runs["empty-day"][0]["rows_loaded"] == 0
    assert runs["store"][0]["extra"]["source_scan_cpu_s"] >= 0
    # Switching compression off must reach DuckDB: the same rows then weigh more on disk.
    compressed, uncompressed = (
        runs[s][0]["extra"]["file_mb"] for s in ("store", "store-uncompressed")
    )
    assert uncompressed > compressed


def test_page_assembly_bench_pages_the_whole_day_with_both_versions(tmp_path):
    seed_generations(tmp_path, date(2026, 11, 20), 2500, seed=1)
    against = ROOT / "cost_pipeline" / "local" / "page_sql.py"
    out = run_module(
        "bench.serve_local_pages",
        *("--data-dir", str(tmp_path), "--date", "2026-11-20"),
        *("--pages", "10", "--rounds", "2", "--against", str(against)),
    )
    lines = [line for line in out.splitlines() if line.startswith("round ")]
    assert len(lines) == 4  # 2 rounds x 2 versions
    assert all("over 3 pages" in line for line in lines)  # 2,500 rows in 1000-row pages


def test_pool_wait_runs_a_holder_and_a_waiter(tmp_path):
    out = tmp_path / "pool_wait.json"
    run_module(
        "bench.pool_wait",
        *("--hold-s", "1", "--runs", "1", "--waiters", "in-process", "--out", str(out)),
    )
    data = json.loads(out.read_text())
    (only_round,) = data["rounds"]
    assert set(only_round) == {"holder", "in-process"}
    assert only_round["holder"]["wall_s"] >= 1  # it held the slot for --hold-s
    assert only_round["holder"]["waiters_woken_from_stall"] in (0, 1)
    figures = only_round["in-process"]
    assert figures["free_cpu_s"] > 0 and figures["blocked_cpu_s"] > 0
    # A 1 s hold is shorter than a run's start-up: a share is reported only for a real wait.
    share = figures["cores_busy_while_waiting"]
    assert share is None or figures["waited_s"] >= 1


def test_backfill_runs_loads_every_day_both_ways(tmp_path):
    out = tmp_path / "backfill.json"
    run_module(
        "bench.backfill_runs",
        *("--days", "2", "--rows-per-day", "20", "--runs", "1", "--out", str(out)),
    )
    data = json.loads(out.read_text())
    ((per_day,), (one_range,)) = data["per-day"], data["range"]
    assert (per_day["runs"], one_range["runs"]) == (2, 1)
    assert per_day["rows"] == one_range["rows"] == 40


# Appended to the copy's cost_pipeline/__init__.py: each process that imports the copy says so.
IMPORTED_FROM_COPY = """
import os as _os

if _os.environ.get("COST_PIPELINE_TEST_COPY_IMPORTS"):
    open(_os.path.join(_os.environ["COST_PIPELINE_TEST_COPY_IMPORTS"], str(_os.getpid())), "w")
"""


def test_nightly_runs_go_through_the_daemon_and_load_both_days(tmp_path, monkeypatch):
    out, imports = tmp_path / "nightly.json", tmp_path / "imports"
    copy = tmp_path / "checkout"  # a second checkout, as a worktree would be
    for part in ("cost_pipeline", "dbt_style_sql"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    init = copy / "cost_pipeline" / "__init__.py"
    init.write_text(init.read_text() + IMPORTED_FROM_COPY)
    imports.mkdir()
    monkeypatch.setenv("COST_PIPELINE_TEST_COPY_IMPORTS", str(imports))
    run_module(
        "bench.nightly_runs",
        *("--rows-per-day", "50", "--runs", "1", "--variants", "queued", "--out", str(out)),
        # The A/B path with one tree, a copy: that its code ran proves the switch works (the
        # project's own tree as well doubled the test's ~70 s for nothing more).
        *("--code-trees", str(copy)),
    )
    # The copy's case ran the copy's code: its daemon, code server and two run workers at least.
    assert len(list(imports.iterdir())) >= 4
    data = json.loads(out.read_text())
    (queued,) = data[f"queued@{copy}"]  # the bench stops unless both runs load 100 rows
    assert len(queued["run_s"]) == 2
    assert queued["second_started_before_first_ended"] is False
    assert queued["cpu_s"] > 0  # the daemon's session was sampled
