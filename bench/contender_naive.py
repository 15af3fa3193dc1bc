"""Contender (c): the naive loader: the Langfuse SDK's API client, one INSERT per row.

    python -m bench.contender_naive --base-url URL --warehouse PATH --day 2026-11-02

``Langfuse().api.observations.get_many`` (the generated client: every page parsed into pydantic
models) with the same request and field groups as our loader, following ``meta.cursor``; each
observation becomes one ``INSERT OR REPLACE`` into a DuckDB table keyed by id, the way a quick
script would write it (one transaction per page, not per row: the charitable version). Usage
classes are read from ``usage_details`` as in raw_generations.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import orjson

from bench.loader_common import EXPAND_METADATA, PUBLIC_KEY, SECRET_KEY, cpu_now, report
from bench.serve_local_common import LOADER_FIELDS

DDL = """
create table if not exists naive_generations (
    id varchar primary key, trace_id varchar, start_time timestamp, end_time timestamp,
    name varchar, user_id varchar, session_id varchar, environment varchar, tags varchar[],
    model varchar, input_tokens bigint, cache_read_tokens bigint, output_tokens bigint,
    reasoning_tokens bigint, total_tokens bigint, total_cost double, metadata json,
    usage_details json, cost_details json
)
"""
INSERT = "insert or replace into naive_generations values (" + ", ".join(["?"] * 19) + ")"


def row(obs) -> list[object]:
    usage = obs.usage_details or {}
    return [
        obs.id,
        obs.trace_id,
        obs.start_time,
        obs.end_time,
        obs.name,
        obs.user_id,
        obs.session_id,
        obs.environment,
        obs.tags,
        obs.model,
        usage.get("input", 0),
        usage.get("input_cached_tokens", 0),
        usage.get("output", 0),
        usage.get("output_reasoning_tokens", 0),
        usage.get("total"),
        obs.total_cost,
        orjson.dumps(obs.metadata).decode(),
        orjson.dumps(usage).decode(),
        orjson.dumps(obs.cost_details or {}).decode(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--day", required=True)
    args = parser.parse_args()

    import duckdb
    from langfuse import Langfuse

    start = datetime.fromisoformat(args.day).replace(tzinfo=UTC)
    langfuse = Langfuse(public_key=PUBLIC_KEY, secret_key=SECRET_KEY, base_url=args.base_url)
    con = duckdb.connect(args.warehouse)
    con.execute(DDL)
    cpu, wall = cpu_now(), time.perf_counter()
    cursor = None
    while True:
        page = langfuse.api.observations.get_many(
            type="GENERATION",
            from_start_time=start,
            to_start_time=start + timedelta(days=1),
            limit=1000,
            fields=LOADER_FIELDS,
            expand_metadata=EXPAND_METADATA,
            cursor=cursor,
        )
        con.execute("begin")  # one transaction per page: the charitable version of naive
        for obs in page.data:
            con.execute(INSERT, row(obs))
        con.execute("commit")
        cursor = page.meta.cursor
        if not cursor:
            break
    load_cpu, load_wall = cpu_now() - cpu, time.perf_counter() - wall
    (rows,) = con.execute("select count(*) from naive_generations").fetchone()
    con.close()
    langfuse.shutdown()
    report(
        {"rows_loaded": rows, "load_cpu_s": round(load_cpu, 3), "load_wall_s": round(load_wall, 3)}
    )


if __name__ == "__main__":
    main()
