"""A far network: serve-local adds 250 ms to every page; sequential paging vs sub-windows.

    uv run python -m bench.loader_latency --rows 1000000 --latency-ms 250 --runs 3 \
        [--scenarios sequential budget unlimited] [--run-config JSON]

Scenarios (all the real raw_generations asset, one child process per run):
- sequential: max_concurrency 1, one cursor through the day (the latency-bound baseline);
- budget:     max_concurrency 8 within Langfuse Cloud's 1,000 requests/min (the default);
- unlimited:  max_concurrency 16, no request budget (self-hosted Langfuse has no rate limit).
The server's own counter (max read requests in any 60 s) shows the budget was kept.
--run-config is merged into raw_generations' op config of every run (e.g. '{"fetcher_nice": 0}').
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.loader_common import (
    bench_day,
    exit_cleanly_on_sigterm,
    fmt,
    machine_description,
    median_range,
    run_child,
    seeded_dir,
    serving,
)

SCENARIOS: dict[str, dict[str, int]] = {
    "sequential": {"max_concurrency": 1, "requests_per_minute": 1000},
    "budget": {"max_concurrency": 8, "requests_per_minute": 1000},
    "unlimited": {"max_concurrency": 16, "requests_per_minute": 0},
}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    day = bench_day()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data_dir = seeded_dir(work, args.rows, day)
    out: dict[str, Any] = {
        "machine": machine_description(),
        "rows": args.rows,
        "latency_ms": args.latency_ms,
        "run_config": json.loads(args.run_config),
        "runs": {},
    }
    with serving(data_dir) as admin:
        admin.set_knobs(page_latency_ms=args.latency_ms)
        for name in args.scenarios:
            settings = SCENARIOS[name]
            out["runs"][name] = []
            for run in range(args.runs):
                scratch = Path(tempfile.mkdtemp(prefix=f"bench-latency-{name}-", dir=work))
                command = [
                    "--base-url",
                    admin.base_url,
                    "--warehouse",
                    str(scratch / "w.duckdb"),
                    "--day",
                    str(day),
                    "--max-concurrency",
                    str(settings["max_concurrency"]),
                    "--requests-per-minute",
                    str(settings["requests_per_minute"]),
                    "--run-config",
                    args.run_config,
                ]
                result = run_child(
                    name, "bench.contender_ours", command, admin, args.rows, scratch / "run.log"
                )
                if result.rows_loaded != args.rows:
                    raise AssertionError(f"{name}: {result.rows_loaded:,} rows of {args.rows:,}")
                budget = settings["requests_per_minute"]
                if budget and result.max_requests_in_60s > budget:
                    raise AssertionError(
                        f"{name}: {result.max_requests_in_60s} requests in one minute > {budget}"
                    )
                out["runs"][name].append(result.as_dict())
                print(
                    f"{name} run {run + 1}: {result.wall_s:.1f} s, {result.rows_per_s:,.0f} gen/s, "
                    f"{result.requests} requests (max {result.max_requests_in_60s} in 60 s), "
                    f"{result.extra.get('windows')} windows, peak RSS {result.peak_rss_mb:.0f} MB",
                    flush=True,
                )
                shutil.rmtree(scratch, ignore_errors=True)
    return out


def table(data: dict[str, Any]) -> str:
    runs = data["runs"]
    base = median_range([r["wall_s"] for r in runs["sequential"]])[0] if "sequential" in runs else 0
    lines = [
        f"{data['rows']:,} generations, {data['latency_ms']:.0f} ms added per page",
        "",
        "| scenario | max_concurrency | requests_per_minute | wall s | generations/s | "
        "speed-up | requests | max requests in any 60 s | windows | peak RSS MB | CPU-s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, results in runs.items():
        settings = SCENARIOS[name]
        wall = median_range([r["wall_s"] for r in results])[0]
        speed_up = f"{base / wall:.1f}x" if base else "-"
        lines.append(
            f"| {name} | {settings['max_concurrency']} | "
            f"{settings['requests_per_minute'] or 'none'} | "
            f"{fmt([r['wall_s'] for r in results])} | {fmt([r['rows_per_s'] for r in results], 0)} "
            f"| {speed_up} | {fmt([r['requests'] for r in results], 0)} | "
            f"{fmt([r['max_requests_in_60s'] for r in results], 0)} | "
            f"{fmt([r['extra']['windows'] for r in results], 0)} | "
            f"{fmt([r['peak_rss_mb'] for r in results], 0)} | "
            f"{fmt([r['cpu_s'] for r in results])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=250.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--run-config", default="{}", help="JSON merged into the op config")
    parser.add_argument("--work-dir", default=".cost_pipeline/bench")
    parser.add_argument("--out", default="bench/results/loader_latency.json")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    data = measure(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=2))
    print(table(data))


if __name__ == "__main__":
    main()
