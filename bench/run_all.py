"""``make bench``: every loader benchmark, in order, with the figures BENCHMARKS.md reports.

    uv run python -m bench.run_all [--quick]

1. side by side at N = 10k, 100k, 1M (ours at every N; dlt up to 100k and the naive loader up
   to 10k, larger N extrapolated and labelled), 3 runs each;
2. 1M generations with 250 ms added per page: sequential vs sub-windows (budgeted, unlimited);
3. the SQL models and export over a 10M-row warehouse (10 days x 1M);
4. where a 1M load's CPU goes: fetch, parse and store alone, and the fixed Dagster part;
5. a 30-day backfill as one run per day, a week per run and one run;
6. what a run costs while it waits for the writer pool;
7. the schedule's two nightly runs through the daemon, with and without the run queue limit.
``--quick`` runs everything small (10k rows, 1 run) to check the harness end to end.
Seeded days and the 10M warehouse are kept under --work-dir and reused by later runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.loader_common import exit_cleanly_on_sigterm


def step(title: str, module: str, args: list[str]) -> None:
    print(f"\n===== {title}\n$ python -m {module} {' '.join(args)}", flush=True)
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", module, *args])
    try:
        if child.wait() != 0:
            raise SystemExit(f"{title} failed (exit {child.returncode})")
    except BaseException:
        child.terminate()  # the step stops its server and contender on SIGTERM
        child.wait()
        raise
    print(f"----- {title}: {time.perf_counter() - began:,.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--work-dir", default=".cost_pipeline/bench")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    work = ["--work-dir", args.work_dir]
    began = time.perf_counter()
    if args.quick:
        # Results of a quick run go to quick-*.json, so they never replace a full run's.
        step(
            "side by side",
            "bench.loader_compare",
            ["--rows", "10000", "--runs", "1", "--out", "bench/results/quick-compare.json", *work],
        )
        step(
            "latency",
            "bench.loader_latency",
            [
                *("--rows", "10000", "--runs", "1", "--latency-ms", "50"),
                *("--out", "bench/results/quick-latency.json", *work),
            ],
        )
        step(
            "SQL models",
            "bench.models_scale",
            [
                *("--rows", "200000", "--days", "2", "--runs", "1"),
                *("--out", "bench/results/quick-models.json", *work),
            ],
        )
        step(
            "floor",
            "bench.loader_floor",
            ["--rows", "10000", "--runs", "1", "--out", "bench/results/quick-floor.json", *work],
        )
        step(
            "backfill runs",
            "bench.backfill_runs",
            ["--days", "3", "--runs", "1", "--out", "bench/results/quick-backfill.json"],
        )
        step(
            "pool wait",
            "bench.pool_wait",
            ["--hold-s", "10", "--runs", "1", "--out", "bench/results/quick-pool-wait.json"],
        )
        step(
            "nightly runs",
            "bench.nightly_runs",
            [
                *("--rows-per-day", "30000", "--runs", "1"),
                *("--out", "bench/results/quick-nightly-runs.json"),
            ],
        )
    else:
        step("side by side", "bench.loader_compare", [*work])
        step("latency", "bench.loader_latency", [*work])
        step("SQL models", "bench.models_scale", [*work])
        step("floor", "bench.loader_floor", [*work])
        step("backfill runs", "bench.backfill_runs", [])
        step("pool wait", "bench.pool_wait", [])
        step("nightly runs", "bench.nightly_runs", [])
    print(f"\nall benchmarks: {time.perf_counter() - began:,.0f} s")


if __name__ == "__main__":
    main()
