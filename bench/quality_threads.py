"""The end-of-load quality figures over a loaded day, on one DuckDB thread and on more.

    uv run python -m bench.quality_threads --warehouse W.duckdb --day 2026-11-02 --rounds 4

Runs ``input_quality`` (the figures every load ends with) over every row of the day, on the
loader's connection settings, alternating the thread counts round by round, and stops if two
runs disagree on any figure. Build the warehouse with ``bench.contender_ours``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime

from cost_pipeline.settings import attribution_keys
from cost_pipeline.warehouse import quality
from cost_pipeline.warehouse.loading_session import for_loading
from cost_pipeline.warehouse.resource import WarehouseResource


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--day", required=True, type=date.fromisoformat)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, quality.FIGURES_THREADS])
    args = parser.parse_args()
    warehouse = for_loading(WarehouseResource(database=args.warehouse))
    walls: dict[int, list[float]] = {n: [] for n in args.threads}
    cpus: dict[int, list[float]] = {n: [] for n in args.threads}
    figures = set()
    with warehouse.get_connection() as conn:
        for _ in range(args.rounds):
            for threads in args.threads:
                cpu, wall = time.process_time(), time.perf_counter()
                found = quality.input_quality(
                    conn,
                    args.day,
                    datetime(1970, 1, 1),
                    attribution_keys(),
                    rows_accepted=0,
                    threads=threads,
                )
                walls[threads].append(time.perf_counter() - wall)
                cpus[threads].append(time.process_time() - cpu)
                figures.add(found)
                if len(figures) > 1:
                    raise SystemExit(f"figures differ between runs: {figures}")
    for threads in args.threads:
        print(
            f"threads={threads}: wall {statistics.median(walls[threads]):.3f} s "
            f"({min(walls[threads]):.3f}-{max(walls[threads]):.3f}), "
            f"CPU {statistics.median(cpus[threads]):.3f} s, rounds {args.rounds}"
        )


if __name__ == "__main__":
    main()
