"""Serving speed of serve-local: 1000-row v2 pages with the loader's field set.

    uv run python -m bench.serve_local_serve --rows 200000 --runs 3 [--data-dir DIR] [--clients 2]

Seeds one day with ``cost-pipeline seed`` (skipped if the data dir already holds that day),
then pages through it with cursors exactly like the loader (type=GENERATION, from/to, limit
1000, fields core,basic,time,model,usage,metadata,trace_context, expandMetadata=feature,team)
and reports generations/s and MB/s per run. ``--clients 2`` splits the day in two halves read
concurrently, to show that page queries overlap (SQLite work runs off the event loop).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import orjson

from bench.serve_local_common import LOADER_FIELDS, machine, running_server, summary
from cost_pipeline.local.seed import seed_generations


def read_window(base_url: str, start: str, end: str, counts: list[int]) -> None:
    params = {
        "type": "GENERATION",
        "fromStartTime": start,
        "toStartTime": end,
        "limit": "1000",
        "fields": LOADER_FIELDS,
        "expandMetadata": "feature,team",
    }
    rows = size = 0
    with httpx.Client(base_url=base_url, auth=("pk-lf-local", "sk-lf-local"), timeout=60) as c:
        cursor = None
        while True:
            query = dict(params, cursor=cursor) if cursor else params
            body = c.get("/api/public/v2/observations", params=query).raise_for_status().content
            size += len(body)
            # Only the tail is parsed: the benchmark measures the server, not client JSON.
            meta = orjson.loads(body[body.rindex(b'"meta":') + 7 : -1])
            rows += body.count(b'"traceId":')
            cursor = meta.get("cursor")
            if not cursor:
                break
    counts.extend([rows, size])


def one_run(base_url: str, day: date, clients: int) -> tuple[float, int, int]:
    start = day.isoformat() + "T00:00:00Z"
    mid = day.isoformat() + "T12:00:00Z"
    end = (day + timedelta(days=1)).isoformat() + "T00:00:00Z"
    windows = [(start, end)] if clients == 1 else [(start, mid), (mid, end)]
    results: list[list[int]] = [[] for _ in windows]
    threads = [
        threading.Thread(target=read_window, args=(base_url, a, b, results[i]))
        for i, (a, b) in enumerate(windows)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return elapsed, sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, choices=(1, 2), default=1)
    parser.add_argument("--date", default="2026-11-20")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-serve-"))
    day = date.fromisoformat(args.date)
    print(machine())
    marker = data_dir / f".seeded-{day}-{args.rows}"
    if not marker.exists():
        seeded = seed_generations(data_dir, day, args.rows, seed=1)
        print(f"seeded {seeded.rows:,} rows in {seeded.seconds:.1f} s")
        marker.touch()
    rates, mbps = [], []
    with running_server(data_dir) as info:
        one_run(info["base_url"], day, args.clients)  # warm-up: page cache, prices
        for run in range(args.runs):
            elapsed, rows, size = one_run(info["base_url"], day, args.clients)
            rates.append(rows / elapsed)
            mbps.append(size / elapsed / 1e6)
            print(
                f"run {run + 1}: {rows:,} rows, {size / rows:,.0f} B/row, {elapsed:.2f} s, "
                f"{rows / elapsed:,.0f} rows/s"
            )
    print(summary(f"serving ({args.clients} client(s))", rates, "generations/s"))
    print(summary("bytes", mbps, "MB/s"))


if __name__ == "__main__":
    main()
