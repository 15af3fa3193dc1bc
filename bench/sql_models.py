"""Time the dbt-style SQL models on one large day (render + delete/insert, one transaction each).

    uv run python -m bench.sql_models --rows 1000000 --runs 3

Builds raw_generations with the loader's real DDL and N synthetic rows for one day (a mix of
metadata / tag / missing attribution, five models incl. one unknown, cache and reasoning
tokens, Langfuse cost on a third), prices the models with the loader's model_prices code, then
materializes stg_generations (a view: re-created and counted) and spend_by_feature_team (a table)
for that day ``--runs`` times (each run replaces the previous one) and prints the median and range.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from cost_pipeline.sql.materialize import materialize_model
from cost_pipeline.sql.project import load_project
from cost_pipeline.warehouse.prices import refresh_model_prices
from cost_pipeline.warehouse.schema import ensure_schema

DAY = date(2026, 6, 1)
SYNTHETIC_ROWS = """
insert into raw_generations by name
select
    'gen-' || i as id,
    'trace-' || (i // 3) as trace_id,
    $day::date as partition_date,
    $day::timestamp + to_milliseconds(i % 86400000) as start_time,
    'GENERATION' as type,
    'user-' || (i % 500) as user_id,
    'session-' || (i % 2000) as session_id,
    ['gpt-4o-mini', 'gpt-4.1', 'o4-mini', 'claude-haiku-4-5', 'unknown-x'][1 + i % 5] as model,
    case i % 4
        when 0 then ('{"feature": "f' || (i % 12) || '", "team": "t' || (i % 5) || '"}')::json
        when 1 then '{"other": 1}'::json
    end as metadata,
    case when i % 4 = 1 then ['feature:tagged', 'team:t' || (i % 5)] else [] end as tags,
    100 + i % 900 as uncached_input_tokens,
    (i % 7) * 128 as cache_read_tokens,
    (i % 11) * 10 as cache_write_tokens,
    0 as cache_write_1h_tokens,
    20 + i % 300 as visible_output_tokens,
    case when i % 5 = 2 then 50 + i % 200 else 0 end as reasoning_tokens,
    case when i % 3 = 0 then 0.0001 + (i % 100) / 1e6 end as langfuse_total_cost,
    case when i % 3 = 0 then '{"total": 0.0001}'::json end as cost_details,
    now()::timestamp as loaded_at
from range($rows) as t(i)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect(str(Path(folder) / "bench.duckdb"))
        ensure_schema(con)
        started = time.perf_counter()
        con.execute(SYNTHETIC_ROWS, {"day": DAY, "rows": args.rows})
        refresh_model_prices(con, DAY, DAY + timedelta(days=1), datetime.now(UTC))
        print(f"built {args.rows:,} raw rows in {time.perf_counter() - started:.1f} s")
        project = load_project()
        timings: dict[str, list[float]] = {model.name: [] for model in project.models}
        for _ in range(args.runs):
            for model in project.models:
                began = time.perf_counter()
                materialize_model(
                    con,
                    project,
                    model,
                    partition_start=DAY,
                    partition_end=DAY + timedelta(days=1),
                    variables={"feature_key": "feature", "team_key": "team"},
                )
                timings[model.name].append(time.perf_counter() - began)
        print(f"machine: {platform.processor() or platform.machine()}, duckdb {duckdb.__version__}")
        for name, values in timings.items():
            print(
                f"{name}: median {statistics.median(values):.2f} s "
                f"(min {min(values):.2f}, max {max(values):.2f}) over {len(values)} runs, "
                f"{args.rows / statistics.median(values):,.0f} source rows/s"
            )
        con.close()


if __name__ == "__main__":
    main()
