"""Where a 1M-generation load's CPU goes: its unavoidable pieces measured alone, beside the loader.

    uv run python -m bench.loader_floor --rows 1000000 --runs 3

Same seeded day, same server, one child process per run (bench.floor_steps), in one session:
fetch (httpx paging, bodies dropped), parse (DuckDB's read_json of those pages with the loader's
columns), store (the typed rows inserted into an empty raw_generations with the loader's
settings), store-uncompressed (the same with DuckDB's compression switched off: what the
compression costs, and what the file would weigh without it), empty-day (the raw_generations
asset for a day with nothing in it: Dagster and the code location), and ours (the real load).
Fetch + parse + store + empty-day is what any loader that keeps these rows in DuckDB behind this
API pays at least; ours adds the typing, checks, upserts and checkpoints.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.loader_common import (
    PUBLIC_KEY,
    SECRET_KEY,
    Admin,
    bench_day,
    exit_cleanly_on_sigterm,
    fmt,
    machine_description,
    request_params,
    run_child,
    seeded_dir,
    serving,
)
from cost_pipeline.langfuse.page import next_cursor_of
from cost_pipeline.warehouse.page_array import data_array

# ours first: its warehouse holds the typed rows `store` inserts.
STEPS = ("ours", "fetch", "parse", "store", "store-uncompressed", "empty-day")
UNCOMPRESSED = json.dumps({"force_compression": "uncompressed"})


def save_pages(admin: Admin, day: date, folder: Path) -> None:
    """The day's pages as the loader spools them (each page's data array), once."""
    done = folder / ".complete"
    if done.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    params = request_params(day)
    with httpx.Client(base_url=admin.base_url, auth=(PUBLIC_KEY, SECRET_KEY), timeout=60) as c:
        for number in range(10**6):
            body = c.get("/api/public/v2/observations", params=params).raise_for_status().content
            (folder / f"page-{number:06d}.json").write_bytes(data_array(body))
            cursor = next_cursor_of(body)
            if cursor is None:
                break
            params["cursor"] = cursor
    done.touch()


def step_args(step: str, admin: Admin, day: str, pages: Path, source: Path, scratch: Path) -> list:
    warehouse = str(scratch / "w.duckdb")
    if step == "fetch":
        return ["fetch", "--base-url", admin.base_url, "--day", day]
    if step == "parse":
        return ["parse", "--pages", str(pages)]
    if step.startswith("store"):
        settings = UNCOMPRESSED if step == "store-uncompressed" else "{}"
        store = ["store", "--source", str(source), "--warehouse", warehouse, "--day", day]
        return [*store, "--connection-config", settings]
    if step == "empty-day":
        empty = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        return ["empty-day", "--base-url", admin.base_url, "--warehouse", warehouse, "--day", empty]
    return ["--base-url", admin.base_url, "--warehouse", warehouse, "--day", day]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    day = bench_day()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    pages = work / f"floor-pages-{day}-{args.rows}"
    source = work / f"floor-typed-{day}-{args.rows}.duckdb"
    runs: dict[str, list[dict[str, Any]]] = {step: [] for step in STEPS}
    with serving(seeded_dir(work, args.rows, day)) as admin:
        save_pages(admin, day, pages)
        for run in range(args.runs):
            for step in STEPS:  # interleaved: a slow spell of the machine hits every step
                scratch = Path(tempfile.mkdtemp(prefix=f"floor-{step}-", dir=work))
                module = "bench.contender_ours" if step == "ours" else "bench.floor_steps"
                result = run_child(
                    step,
                    module,
                    step_args(step, admin, str(day), pages, source, scratch),
                    admin,
                    args.rows,
                    scratch / "run.log",
                )
                expected = 0 if step == "empty-day" else args.rows
                if result.rows_loaded != expected:
                    raise AssertionError(f"{step}: {result.rows_loaded:,} rows (log {scratch})")
                if step == "ours" and not source.exists():
                    shutil.copy(scratch / "w.duckdb", source)  # typed rows for `store`
                runs[step].append(result.as_dict())
                print(
                    f"run {run + 1} {step}: {result.cpu_s:.1f} CPU-s process, "
                    f"{result.load_cpu_s:.1f} in the step, {result.wall_s:.1f} s, "
                    f"{result.peak_rss_mb:.0f} MB",
                    flush=True,
                )
                shutil.rmtree(scratch, ignore_errors=True)
    return {"machine": machine_description(), "day": str(day), "rows": args.rows, "runs": runs}


def table(data: dict[str, Any]) -> str:
    runs = data["runs"]
    lines = [
        "| step | CPU-s (process) | CPU-s (the step alone) | wall s | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for step, results in runs.items():
        lines.append(
            f"| {step} | {fmt([r['cpu_s'] for r in results])} | "
            f"{fmt([r['load_cpu_s'] for r in results])} | {fmt([r['wall_s'] for r in results])} "
            f"| {fmt([r['peak_rss_mb'] for r in results], 0)} |"
        )
    step_cpu = {
        step: statistics.median(r["load_cpu_s"] for r in results) for step, results in runs.items()
    }
    parts = [step_cpu[step] for step in ("fetch", "parse", "store")]
    fixed = statistics.median(r["cpu_s"] for r in runs["empty-day"])
    ours = statistics.median(r["cpu_s"] for r in runs["ours"])
    compression = step_cpu["store"] - step_cpu["store-uncompressed"]
    file_mb = {
        step: statistics.median(r["extra"]["file_mb"] for r in runs[step])
        for step in ("store", "store-uncompressed")
    }
    lines += [
        "",
        f"fetch + parse + store (medians of the steps alone) = {sum(parts):.1f} CPU-s; "
        f"+ the fixed part (empty-day process) = {sum(parts) + fixed:.1f} CPU-s; "
        f"ours (process) = {ours:.1f} CPU-s.",
        f"DuckDB's compression is {compression:.1f} CPU-s of the store line; without it the "
        f"warehouse file is {file_mb['store-uncompressed']:,.0f} MB instead of "
        f"{file_mb['store']:,.0f} MB.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", default=".cost_pipeline/bench")
    parser.add_argument("--out", default="bench/results/loader_floor.json")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    data = measure(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=2))
    print(json.dumps(data["machine"]))
    print(table(data))


if __name__ == "__main__":
    main()
