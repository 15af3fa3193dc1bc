"""serve-local's page assembly alone: CPU per 1000-row page, in-process, against another version.

    uv run python -m bench.serve_local_pages --data-dir DIR --date 2026-11-02 \
        [--pages 150] [--rounds 4] [--against OLD_page_sql.py]

Pages through a seeded day with cursors as the loader does (type=GENERATION, limit 1000, the
loader's field groups, expandMetadata=feature,team), calling ``run_page`` on the SQLite file
directly: no HTTP, so only the SQL that builds the page is timed. ``--against`` takes another
copy of ``cost_pipeline/local/page_sql.py`` (e.g. ``git show REV:cost_pipeline/local/page_sql.py
> /tmp/old.py``); the two alternate round by round over the same pages and must return the same
bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sqlite3
import sys
import time
from pathlib import Path
from types import ModuleType

from starlette.datastructures import QueryParams

from bench.serve_local_common import LOADER_FIELDS, machine
from cost_pipeline.local import page_sql
from cost_pipeline.local.observations_query import PageQuery, parse_page_query

_NOW_MS = 10**15  # every row visible


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("page_sql_against", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


def _queries(conn: sqlite3.Connection, day: str, pages: int) -> list[PageQuery]:
    base = [
        ("type", "GENERATION"),
        ("fromStartTime", f"{day}T00:00:00Z"),
        ("toStartTime", f"{day}T23:59:59.999Z"),
        ("limit", "1000"),
        ("fields", LOADER_FIELDS),
        ("expandMetadata", "feature,team"),
    ]
    queries = [parse_page_query(QueryParams(base))]
    while len(queries) < pages:
        cursor = page_sql.run_page(conn, queries[-1], _NOW_MS).next_cursor
        if cursor is None:
            break
        queries.append(parse_page_query(QueryParams([*base, ("cursor", cursor.encode())])))
    return queries


def _timed(
    module: ModuleType, conn: sqlite3.Connection, queries: list[PageQuery]
) -> tuple[float, str]:
    digest = hashlib.sha256()
    began = time.process_time()
    for query in queries:
        result = module.run_page(conn, query, _NOW_MS)
        digest.update(result.body)
    return (time.process_time() - began) / len(queries) * 1000, digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--against", type=Path, default=None)
    args = parser.parse_args()
    print(machine())
    conn = sqlite3.connect(args.data_dir / "serve-local.sqlite3")
    queries = _queries(conn, args.date, args.pages)
    versions = {"current": page_sql}
    if args.against is not None:
        versions["against"] = _load(args.against)
    digests = set()
    for round_ in range(args.rounds):
        order = list(versions.items())
        for name, module in order if round_ % 2 == 0 else reversed(order):
            ms, digest = _timed(module, conn, queries)
            digests.add(digest)
            print(
                f"round {round_ + 1} {name}: {ms:.2f} ms/page over {len(queries)} pages, {digest}"
            )
    if len(digests) > 1:
        raise SystemExit("the two versions served different pages: compare them before timing")


if __name__ == "__main__":
    main()
