"""How fast this machine is right now, for reading a run's wall time against the VM's phase.

    uv run python -m bench.machine_speed [--repeats 3]

The project's VM has fast and slow phases (the same 1M load took 13-14 s in one hour and 15.5-17.4
s in the next), which load average and steal time do not show. This times a fixed job of the
kind that bounds the load's wall, one DuckDB thread building and parsing small JSON documents,
right before a run: the loader benchmarks record it beside each run (``machine_probe_s``), so a
slow run can be told apart from a slow machine. Lower is faster.
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

PROBE_ROWS = 500_000
PROBE_SQL = f"""
select count(*), sum(len(json_extract_string(document, '$.id')))
from (
    select json_object(
        'id', md5(i::varchar),
        'n', i,
        'tags', ['feature:search', 'team:growth'],
        'usage', json_object('input', i % 5000, 'output', i % 700)
    )::varchar as document
    from range({PROBE_ROWS}) as numbers(i)
)
"""


def probe_seconds(repeats: int = 3) -> float:
    """Median wall seconds of the fixed job (~0.22 s each on the VM in a fast phase)."""
    with duckdb.connect() as conn:
        conn.execute("set threads = 1")
        timings = []
        for _ in range(repeats):
            began = time.perf_counter()
            (count, _) = conn.execute(PROBE_SQL).fetchone()
            timings.append(time.perf_counter() - began)
            if count != PROBE_ROWS:
                raise RuntimeError(f"machine probe counted {count} rows of {PROBE_ROWS}")
    return round(statistics.median(timings), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(probe_seconds(args.repeats))


if __name__ == "__main__":
    main()
