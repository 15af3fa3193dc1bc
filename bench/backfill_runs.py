"""A backfill of D days as one run per day against one run over the range, side by side.

    uv run python -m bench.backfill_runs [--days 30] [--rows-per-day 250] [--runs 1]

Seeds D days into one serve-local, then materializes ``raw_generations*`` for all of them with
the real CLI, into a fresh warehouse and DAGSTER_HOME per mode:
- **per-day**: ``dagster asset materialize --partition D`` once per day, one after another (what
  a backfill launched one run per day costs when nothing else runs);
- **weekly**: ``--partition-range`` a week at a time (what a policy of at most 7 days per run
  would do; only when D > 7);
- **range**: ``dagster asset materialize --partition-range FIRST...LAST`` (what a backfill is
  now, with the assets' single-run backfill policy).
CPU seconds are ``os.wait4``'s for each CLI process, its children included. Both modes must
end with every seeded generation in ``raw_generations``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench.cli_runs import DAGSTER, run_one, seeded_server
from cost_pipeline.demo.dagster_home import ensure_dagster_home

MATERIALIZE = [DAGSTER, "asset", "materialize", "-m", "cost_pipeline.definitions"]
SELECTION = ["--select", "raw_generations*"]
FIRST_DAY = date(2026, 10, 1)


def commands(days: list[date], mode: str) -> list[list[str]]:
    if mode == "per-day":
        return [[*MATERIALIZE, *SELECTION, "--partition", day.isoformat()] for day in days]
    size = 7 if mode == "weekly" else len(days)
    ranges = [days[i : i + size] for i in range(0, len(days), size)]
    return [[*MATERIALIZE, *SELECTION, "--partition-range", f"{r[0]}...{r[-1]}"] for r in ranges]


def run_mode(
    mode: str, days: list[date], server_env: dict[str, str], work: Path
) -> dict[str, float | int]:
    home = work / mode
    env = {
        **os.environ,
        **server_env,
        "DAGSTER_HOME": str(ensure_dagster_home(home / "dagster_home")),
        "COST_PIPELINE_HOME": str(home),
    }
    runs = [run_one(command, env, home / "runs.log") for command in commands(days, mode)]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        (rows,) = con.execute("select count(*) from raw_generations").fetchone()
    return {
        "runs": len(runs),
        "wall_s": sum(run.wall_s for run in runs),
        "cpu_s": sum(run.cpu_s for run in runs),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rows-per-day", type=int, default=250)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", default="bench/results/backfill_runs.json")
    args = parser.parse_args()
    days = [FIRST_DAY + timedelta(days=i) for i in range(args.days)]
    modes = ["per-day", "range"] if args.days <= 7 else ["per-day", "weekly", "range"]
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="backfill-runs-") as tmp:
        work = Path(tmp)
        with seeded_server(work / "serve-local", days, args.rows_per_day) as server_env:
            for number in range(args.runs):
                for mode in results:  # alternating, so both see the same machine
                    result = run_mode(mode, days, server_env, work / f"round-{number}")
                    if result["rows"] != args.days * args.rows_per_day:
                        raise SystemExit(f"{mode} loaded {result['rows']} rows: {result}")
                    results[mode].append(result)
                    print(f"{mode}: {json.dumps(result)}", flush=True)
    for mode, runs in results.items():
        walls, cpus = [r["wall_s"] for r in runs], [r["cpu_s"] for r in runs]
        print(
            f"{mode:>8}: {runs[0]['runs']} run(s), wall {statistics.median(walls):.1f} s "
            f"({min(walls):.1f}-{max(walls):.1f}), CPU {statistics.median(cpus):.1f} s "
            f"({min(cpus):.1f}-{max(cpus):.1f})"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"days": args.days, "rows_per_day": args.rows_per_day, **results}))


if __name__ == "__main__":
    main()
