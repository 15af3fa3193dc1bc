"""The SQL models and the export over a warehouse of 10M generations seeded straight into it.

    uv run python -m bench.models_scale --rows 10000000 --days 10 --runs 3

raw_generations gets ``rows`` synthetic rows spread over ``days`` consecutive days (generator:
bench/sql_models.py, ids made unique per day: attribution by metadata / tags / none, five models
incl. one unknown, cache and reasoning tokens, Langfuse cost on a third), model_prices from the
loader's pricing code. Two scenarios, each run in a child process with Dagster like production
(stg_generations -> spend_by_feature_team -> spend_export), each run replacing the last:
- daily: the last day (what the schedule runs every night), in a warehouse of ``rows`` rows;
- range: all ``days`` days in one range run (a backfill): the chain reads all ``rows`` rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.loader_common import exit_cleanly_on_sigterm, fmt, machine_description, run_child
from bench.sql_models import DAY, SYNTHETIC_ROWS
from cost_pipeline.warehouse.prices import refresh_model_prices
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema

# The generator's ids restart at 0 for every call; prefix them with the day.
DAILY_ROWS = SYNTHETIC_ROWS.replace("'gen-' || i as id", "'gen-' || $day || '-' || i as id")


class _NoServer:
    """run_child reads server counters; this benchmark has no server."""

    base_url = ""

    def reset_stats(self) -> None: ...

    def stats(self) -> dict[str, int]:
        return {"read_requests": 0, "bytes_served": 0, "max_read_requests_in_60s": 0}

    def server_cpu_s(self) -> float:
        return 0.0


def build(work: Path, rows: int, days: list[date]) -> Path:
    database = work / f"models-{rows}-{len(days)}d.duckdb"
    # v2: model_prices kept per day (migration 005); a warehouse built before is built again.
    marker = work / f"models-{rows}-{len(days)}d-v2.built"
    if marker.exists():
        return database
    for stale in work.glob(f"{database.name}*"):
        stale.unlink()
    began = time.perf_counter()
    with WarehouseResource(database=str(database)).get_connection() as con:
        ensure_schema(con)
        for day in days:
            con.execute(DAILY_ROWS, {"day": day, "rows": rows // len(days)})
            refresh_model_prices(
                con, day, day + timedelta(days=1), datetime.now(UTC).replace(tzinfo=None)
            )
        con.execute("checkpoint")
    print(f"built {rows:,} raw rows over {len(days)} days in {time.perf_counter() - began:.1f} s")
    marker.touch()
    return database


def run_scenario(
    name: str, database: Path, work: Path, first: date, last: date, rows: int, runs: int
) -> list[dict[str, Any]]:
    results = []
    for run in range(runs):
        exports = work / "models-exports"
        shutil.rmtree(exports, ignore_errors=True)
        command = [
            "--warehouse",
            str(database),
            "--first-day",
            first.isoformat(),
            "--last-day",
            last.isoformat(),
            "--exports",
            str(exports),
        ]
        result = run_child(
            name, "bench.contender_models", command, _NoServer(), rows, work / "models.log"
        )
        if result.rows_loaded != rows:
            raise AssertionError(f"{name}: stg_generations has {result.rows_loaded:,} of {rows:,}")
        results.append(result.as_dict())
        print(
            f"{name} run {run + 1}: process {result.wall_s:.1f} s, "
            f"chain {result.load_wall_s:.1f} s "
            f"(steps {result.extra['steps_s']}), {result.cpu_s:.1f} CPU-s, "
            f"peak RSS {result.peak_rss_mb:.0f} MB",
            flush=True,
        )
    return results


def summary(name: str, rows: int, runs: list[dict[str, Any]]) -> str:
    steps = sorted({step for r in runs for step in r["extra"]["steps_s"]})
    return (
        f"{name}: {rows:,} rows through the chain: wall {fmt([r['load_wall_s'] for r in runs])} s "
        f"(process incl. start-up {fmt([r['wall_s'] for r in runs])} s), "
        f"CPU {fmt([r['cpu_s'] for r in runs])} s, "
        f"peak RSS {fmt([r['peak_rss_mb'] for r in runs], 0)} MB; "
        + ", ".join(f"{s} {fmt([r['extra']['steps_s'][s] for r in runs])} s" for s in steps)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scenarios", nargs="+", choices=["daily", "range"], default=["daily", "range"]
    )
    parser.add_argument("--work-dir", default=".cost_pipeline/bench")
    parser.add_argument("--out", default="bench/results/models_scale.json")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    days = [DAY + timedelta(days=i) for i in range(args.days)]
    database = build(work, args.rows, days)
    out: dict[str, Any] = {"machine": machine_description(), "rows": args.rows, "days": args.days}
    lines = []
    if "daily" in args.scenarios:
        per_day = args.rows // args.days
        out["daily"] = run_scenario("daily", database, work, days[-1], days[-1], per_day, args.runs)
        lines.append(summary("daily (last day)", per_day, out["daily"]))
    if "range" in args.scenarios:
        total = args.rows // args.days * args.days
        out["range"] = run_scenario("range", database, work, days[0], days[-1], total, args.runs)
        lines.append(summary(f"range ({args.days} days)", total, out["range"]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
