"""Contender (b): dlt's ``rest_api`` source with a cursor paginator, merged on id into DuckDB.

    python -m bench.contender_dlt --base-url URL --warehouse PATH --day 2026-11-02 --work DIR

What a user would configure with dlt (or dagster-dlt) for this API: the same request and field
groups as our loader, ``meta.cursor`` followed as the ``cursor`` parameter, HTTP basic auth,
``write_disposition="merge"`` with primary key ``id`` into a DuckDB file. dlt's defaults
otherwise (it normalises nested JSON into columns and child tables).
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from bench.loader_common import PUBLIC_KEY, SECRET_KEY, cpu_now, report, request_params


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--work", required=True, help="dlt's pipelines dir (state, load files)")
    args = parser.parse_args()

    import dlt
    import duckdb
    from dlt.sources.rest_api import rest_api_source

    params: dict[str, str | int] = dict(request_params(date.fromisoformat(args.day)))
    params["limit"] = 1000
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{args.base_url}/api/public/",
                "auth": {"type": "http_basic", "username": PUBLIC_KEY, "password": SECRET_KEY},
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "meta.cursor",
                    "cursor_param": "cursor",
                },
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "observations",
                    "endpoint": {
                        "path": "v2/observations",
                        "data_selector": "data",
                        "params": params,
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="langfuse_bench",
        destination=dlt.destinations.duckdb(args.warehouse),
        dataset_name="langfuse",
        pipelines_dir=args.work,
    )
    cpu, wall = cpu_now(), time.perf_counter()
    pipeline.run(source)
    load_cpu, load_wall = cpu_now() - cpu, time.perf_counter() - wall
    with duckdb.connect(args.warehouse, read_only=True) as con:
        (rows,) = con.execute("select count(*) from langfuse.observations").fetchone()
    report(
        {"rows_loaded": rows, "load_cpu_s": round(load_cpu, 3), "load_wall_s": round(load_wall, 3)}
    )


if __name__ == "__main__":
    main()
