"""One piece of a load on its own, in a process of its own (bench.loader_floor runs these).

    python -m bench.floor_steps fetch --base-url URL --day D
    python -m bench.floor_steps parse --pages DIR
    python -m bench.floor_steps store --source FILE --warehouse PATH --day D \
        [--connection-config JSON]
    python -m bench.floor_steps empty-day --base-url URL --warehouse PATH --day D

fetch:     the loader's query paged with httpx through the day, bodies dropped (the HTTP part);
parse:     DuckDB's read_json of the day's pages with the loader's columns, nothing stored;
store:     the day's rows, already typed, inserted into an empty raw_generations with the
           loader's connection settings in 25,000-row transactions (DuckDB's storage part);
           the CPU of reading them from their source file is measured apart and taken off;
           --connection-config adds DuckDB settings (e.g. {"force_compression": "uncompressed"}
           to see what compression costs); the result names the warehouse file's size;
empty-day: the real raw_generations asset for a day with no generations (Dagster's run
           machinery, the code location's imports, opening the warehouse: the fixed part).
Each prints its result line like the contenders do; the parent measures the whole process.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.loader_common import PUBLIC_KEY, SECRET_KEY, cpu_now, report, request_params

_CURSOR = re.compile(rb'"cursor"\s*:\s*"([^"]+)"')


def fetch(base_url: str, day: str) -> int:
    import httpx

    pages = 0
    params = request_params(date.fromisoformat(day))
    limit = int(params["limit"])
    with httpx.Client(base_url=base_url, auth=(PUBLIC_KEY, SECRET_KEY), timeout=60) as client:
        while True:
            body = client.get("/api/public/v2/observations", params=params).content
            pages += 1
            cursor = _CURSOR.search(body[-1024:])
            if cursor is None:
                # Every page but the last is full; only the last one is counted (a scan of
                # every body would add ~1 CPU-s per 1M rows that no loader needs).
                return (pages - 1) * limit + body.count(b'"traceId":')
            params["cursor"] = cursor.group(1).decode()


def parse(pages: str) -> int:
    import duckdb

    from cost_pipeline.warehouse.parse import OBSERVATION_FIELDS

    files = sorted(str(path) for path in Path(pages).glob("*.json"))
    columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in OBSERVATION_FIELDS) + "}"
    # count() of every column, so each is extracted; nothing is materialized.
    counts = ", ".join(f'count("{name}")' for name, _ in OBSERVATION_FIELDS)
    with duckdb.connect(config={"threads": 1}) as conn:
        row = conn.execute(
            f"select count(*), {counts} from read_json(?, format = 'array', records = true, "
            f"columns = {columns})",
            [files],
        ).fetchone()
    return int(row[0])


def store(source: str, warehouse: str, day: str, settings: dict[str, Any]) -> tuple[int, float]:
    from cost_pipeline.warehouse.inline_params import sql_literal
    from cost_pipeline.warehouse.loading_session import for_loading
    from cost_pipeline.warehouse.resource import WarehouseResource
    from cost_pipeline.warehouse.schema import ensure_schema

    resource = WarehouseResource(database=warehouse, connection_config=settings)
    with for_loading(resource).get_connection() as conn:
        ensure_schema(conn)
        conn.execute(f"attach {sql_literal(source)} as source (read_only)")
        total = conn.execute(
            "select count(*) from source.raw_generations where partition_date = ?", [day]
        ).fetchone()[0]
        # Reading the source is not storing: measure a scan of every column and take it off.
        columns = [row[0] for row in conn.execute("describe source.raw_generations").fetchall()]
        scan = cpu_now()
        conn.execute(
            f"select {', '.join(f'count({name})' for name in columns)} "
            "from source.raw_generations where partition_date = ?",
            [day],
        ).fetchone()
        reading_s = cpu_now() - scan
        for offset in range(0, total, 25_000):
            conn.execute("begin")
            conn.execute(
                "insert into raw_generations select * from source.raw_generations "
                f"where partition_date = ? and rowid >= {offset} and rowid < {offset + 25_000}",
                [day],
            )
            conn.execute("commit")
        rows = conn.execute(
            "select count(*) from raw_generations where partition_date = ?", [day]
        ).fetchone()[0]
        return int(rows), reading_s


def empty_day(base_url: str, warehouse: str, day: str) -> int:
    import dagster as dg

    from cost_pipeline.assets.ingest import raw_generations
    from cost_pipeline.langfuse.resource import LangfuseResource
    from cost_pipeline.warehouse.resource import WarehouseResource

    result = dg.materialize(
        [raw_generations],
        partition_key=day,
        resources={
            "warehouse": WarehouseResource(database=warehouse),
            "langfuse": LangfuseResource(
                base_url=base_url, public_key=PUBLIC_KEY, secret_key=SECRET_KEY
            ),
        },
    )
    return int(
        result.asset_materializations_for_node("raw_generations")[0].metadata["rows_loaded"].value
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["fetch", "parse", "store", "empty-day"])
    parser.add_argument("--base-url")
    parser.add_argument("--day")
    parser.add_argument("--pages")
    parser.add_argument("--source")
    parser.add_argument("--warehouse")
    parser.add_argument("--connection-config", default="{}", help="JSON DuckDB settings (store)")
    args = parser.parse_args()
    cpu, wall = cpu_now(), time.perf_counter()
    not_the_step_s = 0.0
    extra: dict[str, float] = {}
    if args.step == "fetch":
        rows = fetch(args.base_url, args.day)
    elif args.step == "parse":
        rows = parse(args.pages)
    elif args.step == "store":
        settings = json.loads(args.connection_config)
        rows, not_the_step_s = store(args.source, args.warehouse, args.day, settings)
        extra["file_mb"] = round(Path(args.warehouse).stat().st_size / 1e6, 1)
    else:
        rows = empty_day(args.base_url, args.warehouse, args.day)
    report(
        {
            "rows_loaded": rows,
            "load_cpu_s": round(cpu_now() - cpu - not_the_step_s, 3),
            "load_wall_s": round(time.perf_counter() - wall, 3),
            "source_scan_cpu_s": round(not_the_step_s, 3),
            **extra,
        }
    )


if __name__ == "__main__":
    main()
