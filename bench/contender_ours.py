"""Contender (a): the real ``raw_generations`` asset, materialized by Dagster for one day.

    python -m bench.contender_ours --base-url URL --warehouse PATH --day 2026-11-02 \
        [--max-concurrency N] [--requests-per-minute N] [--split-latency-ms MS]

The same code path as production: ``dg.materialize`` of the asset with its resources, in this
process (in-process executor), against serve-local, with the production defaults unless an
option overrides one. Reports the rows in raw_generations for the day and the CPU and wall time
of the load itself (the parent measures the whole process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.loader_common import PUBLIC_KEY, SECRET_KEY, cpu_now, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--requests-per-minute", type=int, default=None)
    parser.add_argument("--split-latency-ms", type=float, default=None)
    parser.add_argument(
        "--run-config", default="{}", help="JSON merged into raw_generations' op config"
    )
    parser.add_argument(
        "--connection-config", default="{}", help="JSON DuckDB settings for the warehouse"
    )
    parser.add_argument(
        "--as-deployed",
        action="store_true",
        help="pandas unimportable, as after `uv sync --no-dev` (pandas is a dev dependency). "
        "DuckDB's client imports pandas on the first bound value when it is installed; the "
        "loader binds none (warehouse/inline_params.py), so both variants should match",
    )
    args = parser.parse_args()
    if args.as_deployed:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # import pandas now fails

    import dagster as dg
    import duckdb

    from cost_pipeline.assets.ingest import raw_generations
    from cost_pipeline.langfuse.resource import LangfuseResource
    from cost_pipeline.warehouse.inline_params import inline
    from cost_pipeline.warehouse.resource import WarehouseResource

    budget = (
        {}
        if args.requests_per_minute is None
        else {"requests_per_minute": args.requests_per_minute}
    )
    resources = {
        "warehouse": WarehouseResource(
            database=args.warehouse, connection_config=json.loads(args.connection_config)
        ),
        "langfuse": LangfuseResource(
            base_url=args.base_url, public_key=PUBLIC_KEY, secret_key=SECRET_KEY, **budget
        ),
    }
    overrides = {"max_concurrency": args.max_concurrency, "split_latency_ms": args.split_latency_ms}
    config = {key: value for key, value in overrides.items() if value is not None}
    config.update(json.loads(args.run_config))
    cpu, wall = cpu_now(), time.perf_counter()
    result = dg.materialize(
        [raw_generations],
        partition_key=args.day,
        resources=resources,
        run_config={"ops": {"raw_generations": {"config": config}}},
    )
    load_cpu, load_wall = cpu_now() - cpu, time.perf_counter() - wall
    pandas_imported = "pandas" in sys.modules  # before our own queries below
    metadata = {
        key: value.value
        for key, value in result.asset_materializations_for_node("raw_generations")[
            0
        ].metadata.items()
    }
    with duckdb.connect(args.warehouse, read_only=True) as con:
        (rows,) = con.execute(
            inline("select count(*) from raw_generations where partition_date = ?", [args.day])
        ).fetchone()
        windows = con.execute("select count(*) from ingest_windows").fetchone()[0]
    report(
        {
            "rows_loaded": rows,
            "load_cpu_s": round(load_cpu, 3),
            "load_wall_s": round(load_wall, 3),
            "api_requests": metadata["api_requests"],
            "rows_rejected": metadata["rows_rejected"],
            "windows": windows,
            "pandas_imported": pandas_imported,
        }
    )


if __name__ == "__main__":
    main()
