"""Side by side: our raw_generations vs dlt's rest_api vs the naive SDK loader, same server.

    uv run python -m bench.loader_compare --rows 10000 100000 1000000 --runs 3 \
        [--contenders ours dlt naive] [--max-rows dlt=100000 naive=10000]

For each N: one day of N generations is seeded with ``cost-pipeline seed`` (reused across
invocations), one serve-local serves it to every contender (same window, same field groups),
each contender loads it ``--runs`` times into a fresh DuckDB file, each run in its own child
process. A contender is skipped above its ``--max-rows`` (dlt and the naive loader take minutes
per 100k rows); its figures at larger N are extrapolated linearly and labelled so. Every run
must load exactly N rows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.loader_common import (
    Admin,
    RunResult,
    bench_day,
    exit_cleanly_on_sigterm,
    fmt,
    machine_description,
    median_range,
    request_params,
    run_child,
    seeded_dir,
    serving,
)

CONTENDERS = {
    "ours": "bench.contender_ours",
    "dlt": "bench.contender_dlt",
    "naive": "bench.contender_naive",
    "ours-deployed": "bench.contender_ours",
}
LABELS = {
    "ours": "ours (raw_generations)",
    "dlt": "dlt rest_api (merge)",
    "naive": "naive (SDK + row inserts)",
    "ours-deployed": "ours, as deployed (no dev deps)",
}
DEFAULT_CONTENDERS = ["ours", "dlt", "naive"]


def contender_args(name: str, admin: Admin, warehouse: Path, day: str, work: Path) -> list[str]:
    args = ["--base-url", admin.base_url, "--warehouse", str(warehouse), "--day", day]
    if name == "dlt":
        args += ["--work", str(work)]
    if name == "ours-deployed":
        args += ["--as-deployed"]
    return args


def serving_rate(admin: Admin, day_params: dict[str, str]) -> dict[str, float]:
    """serve-local alone: cursor-page the day with the loader's query, nothing parsed."""
    import httpx
    import orjson

    rows = size = 0
    cpu_before = admin.server_cpu_s()
    began = time.perf_counter()
    with httpx.Client(
        base_url=admin.base_url, auth=("pk-lf-local", "sk-lf-local"), timeout=60
    ) as c:
        params = dict(day_params)
        while True:
            body = c.get("/api/public/v2/observations", params=params).raise_for_status().content
            size += len(body)
            rows += body.count(b'"traceId":')
            cursor = orjson.loads(body[body.rindex(b'"meta":') + 7 : -1]).get("cursor")
            if not cursor:
                break
            params["cursor"] = cursor
    elapsed = time.perf_counter() - began
    server_cpu = admin.server_cpu_s() - cpu_before
    return {
        "rows": rows,
        "rows_per_s": rows / elapsed,
        "rows_per_server_cpu_s": rows / server_cpu if server_cpu else 0.0,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    day = bench_day()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    limits = dict(item.split("=") for item in args.max_rows)
    out: dict[str, Any] = {"machine": machine_description(), "day": str(day), "sizes": {}}
    for rows in args.rows:
        data_dir = seeded_dir(work, rows, day)
        size: dict[str, Any] = {"runs": {}, "serving": None}
        out["sizes"][str(rows)] = size
        with serving(data_dir) as admin:
            size["serving"] = serving_rate(admin, request_params(day))  # also warms the server
            for name in args.contenders:
                if rows > int(limits.get(name, rows)):
                    continue
                size["runs"][name] = []
                for run in range(args.runs):
                    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=work))
                    result = run_child(
                        name,
                        CONTENDERS[name],
                        contender_args(name, admin, scratch / "w.duckdb", str(day), scratch),
                        admin,
                        rows,
                        scratch / "run.log",
                    )
                    if result.rows_loaded != rows:
                        raise AssertionError(
                            f"{name} loaded {result.rows_loaded:,} rows of {rows:,} "
                            f"(log: {scratch / 'run.log'})"
                        )
                    size["runs"][name].append(result.as_dict())
                    print(_line(rows, run, result), flush=True)
                    if not args.keep:
                        _remove(scratch)
    return out


def _line(rows: int, run: int, r: RunResult) -> str:
    load = f", load phase {r.load_cpu_s:.1f} CPU-s" if r.load_cpu_s is not None else ""
    return (
        f"N={rows:,} {r.contender} run {run + 1}: {r.wall_s:.1f} s, {r.rows_per_s:,.0f} gen/s, "
        f"{r.cpu_s:.1f} CPU-s{load}, peak RSS {r.peak_rss_mb:.0f} MB, {r.requests} requests, "
        f"{r.bytes / max(r.rows_loaded, 1):,.0f} B/gen, machine probe {r.machine_probe_s:.3f} s"
    )


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------ tables


def tables(data: dict[str, Any]) -> str:
    lines = [
        "| N | contender | wall s | generations/s | CPU-s (process) | CPU-s (load) | peak RSS MB "
        "| requests | bytes/gen | machine probe s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows, size in data["sizes"].items():
        for name, runs in size["runs"].items():
            lines.append(_row(int(rows), name, runs))
    lines.append("")
    lines.append(_serving_table(data))
    lines.append("")
    lines.append(_ratio_table(data))
    return "\n".join(lines)


def _row(rows: int, name: str, runs: list[dict[str, Any]]) -> str:
    def col(key: str, digits: int = 1) -> str:
        values = [run[key] for run in runs if run.get(key) is not None]
        return fmt(values, digits) if values else "-"

    bytes_per_gen = [run["bytes"] / run["rows_loaded"] for run in runs]
    return (
        f"| {rows:,} | {LABELS[name]} | {col('wall_s')} | {col('rows_per_s', 0)} | "
        f"{col('cpu_s')} | {col('load_cpu_s')} | {col('peak_rss_mb', 0)} | "
        f"{col('requests', 0)} | {fmt(bytes_per_gen, 0)} | {col('machine_probe_s', 3)} |"
    )


def _serving_table(data: dict[str, Any]) -> str:
    lines = [
        "| N | serve-local alone: generations/s | per server CPU-s | ours: generations/s | "
        "server CPU-s during our load |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows, size in data["sizes"].items():
        ours = size["runs"].get("ours", [])
        ours_rate = fmt([r["rows_per_s"] for r in ours], 0) if ours else "-"
        server = fmt([r["server_cpu_s"] for r in ours], 1) if ours else "-"
        serving = size["serving"]
        lines.append(
            f"| {int(rows):,} | {serving['rows_per_s']:,.0f} | "
            f"{serving['rows_per_server_cpu_s']:,.0f} | {ours_rate} | {server} |"
        )
    return "\n".join(lines)


def _ratio_table(data: dict[str, Any]) -> str:
    """Ours vs each other contender: throughput and peak memory, measured or extrapolated."""
    lines = [
        "| N | vs | their wall s | our wall s | throughput ratio | their peak RSS MB | "
        "our peak RSS MB | memory ratio |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    sizes = {int(rows): size for rows, size in data["sizes"].items()}
    for rows, size in sorted(sizes.items()):
        ours = size["runs"].get("ours")
        if not ours:
            continue
        our_wall = median_range([r["wall_s"] for r in ours])[0]
        our_rss = median_range([r["peak_rss_mb"] for r in ours])[0]
        for name in ("dlt", "naive"):
            theirs, note = _theirs(sizes, rows, name)
            if theirs is None:
                continue
            wall, rss = theirs
            lines.append(
                f"| {rows:,} | {LABELS[name]}{note} | {wall:,.1f} | {our_wall:,.1f} | "
                f"{wall / our_wall:,.1f}x | {rss:,.0f} | {our_rss:,.0f} | {rss / our_rss:,.1f}x |"
            )
    return "\n".join(lines)


def _theirs(
    sizes: dict[int, dict[str, Any]], rows: int, name: str
) -> tuple[tuple[float, float] | None, str]:
    runs = sizes[rows]["runs"].get(name)
    if runs:
        wall = median_range([r["wall_s"] for r in runs])[0]
        return (wall, median_range([r["peak_rss_mb"] for r in runs])[0]), ""
    measured = [n for n in sorted(sizes) if n < rows and sizes[n]["runs"].get(name)]
    if not measured:
        return None, ""
    base = measured[-1]
    runs = sizes[base]["runs"][name]
    wall = median_range([r["wall_s"] for r in runs])[0] * rows / base
    rss = median_range([r["peak_rss_mb"] for r in runs])[0]
    return (wall, rss), f" (EXTRAPOLATED from {base:,}: wall x{rows // base}; RSS as at {base:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--contenders", nargs="+", choices=sorted(CONTENDERS), default=DEFAULT_CONTENDERS
    )
    parser.add_argument(
        "--max-rows", nargs="*", default=["dlt=100000", "naive=10000"], metavar="NAME=ROWS"
    )
    parser.add_argument("--work-dir", default=".cost_pipeline/bench")
    parser.add_argument("--out", default="bench/results/loader_compare.json")
    parser.add_argument("--keep", action="store_true", help="keep each run's warehouse and log")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    data = measure(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=2))
    print(json.dumps(data["machine"]))
    print(tables(data))


if __name__ == "__main__":
    main()
