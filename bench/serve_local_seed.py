"""Seeding speed: ``cost-pipeline seed`` of N generations for one day into a fresh data dir.

    uv run python -m bench.serve_local_seed --rows 1000000 --runs 3

Runs the real CLI in a subprocess each time (start-up and worker start included), reports
rows/s and the size of the store.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.serve_local_common import machine, summary


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    rates, seconds, cpus = [], [], []
    for run in range(args.runs):
        data_dir = Path(tempfile.mkdtemp(prefix="bench-seed-"))
        command = [
            sys.executable,
            "-m",
            "cost_pipeline.cli",
            "seed",
            "--date",
            "2026-11-20",
            "--count",
            str(args.rows),
            "--seed",
            str(run),
            "--data-dir",
            str(data_dir),
        ]
        began, cpu_before = time.perf_counter(), children_cpu()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        elapsed, cpu = time.perf_counter() - began, children_cpu() - cpu_before
        size = sum(f.stat().st_size for f in data_dir.iterdir())
        shutil.rmtree(data_dir)
        rates.append(args.rows / elapsed)
        seconds.append(elapsed)
        cpus.append(cpu)
        print(
            f"run {run + 1}: {args.rows:,} rows in {elapsed:.1f} s "
            f"({args.rows / elapsed:,.0f} rows/s), {cpu:.1f} CPU-s, store {size / 1e9:.2f} GB"
        )
    print(summary("seed", rates, "rows/s"))
    print(summary("wall", seconds, "s"))
    # Other work on the machine stretches wall time; CPU-seconds (all processes of the seed)
    # do not, and CPU / 2 is what the 2 cores need when nothing else runs.
    print(summary("CPU", cpus, "CPU-s"))


if __name__ == "__main__":
    main()
