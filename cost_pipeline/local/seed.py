"""Bulk-load realistic generations for one day straight into serve-local's store.

Works with the server running (SQLite WAL: the server keeps answering while chunks commit) or
before it starts. Chunks of 20,000 rows are generated and written by two worker processes;
each chunk commits on its own, so the server's ingestion waits at most one chunk for the lock.
Same (seed, date, count) -> the same rows; re-seeding upserts instead of duplicating.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cost_pipeline.local.config import DB_FILE_NAME
from cost_pipeline.local.seed_rows import ChunkSpec, chunk_rows
from cost_pipeline.local.store import connect, ensure_schema, insert_rows
from cost_pipeline.local.timefmt import now_ms

CHUNK_ROWS = 20_000
PARALLEL_FROM_ROWS = 100_000  # below this, worker start-up costs more than it saves


@dataclass(frozen=True)
class SeedSummary:
    rows: int
    day: date
    seconds: float
    db_path: Path


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def chunk_specs(day: date, count: int, seed: int) -> list[ChunkSpec]:
    chunks = max(1, -(-count // CHUNK_ROWS))
    base, extra = divmod(count, chunks)
    start = day_start_ms(day)
    return [
        ChunkSpec(
            seed=seed,
            day_start_ms=start,
            index=index,
            count=base + (1 if index < extra else 0),
            first_quantile=index / chunks,
            last_quantile=(index + 1) / chunks,
        )
        for index in range(chunks)
    ]


def _write_chunks(db_path: Path, specs: list[ChunkSpec], visible_at_ms: int) -> int:
    conn = connect(db_path, synchronous="NORMAL")
    written = 0
    # Rows are acyclic tuples; the cyclic collector would only re-scan them (~20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for spec in specs:
            rows = chunk_rows(spec, visible_at_ms)
            insert_rows(conn, rows)
            written += len(rows)
    finally:
        conn.close()
        if collecting:
            gc.enable()
    return written


def seed_generations(data_dir: Path, day: date, count: int, seed: int = 0) -> SeedSummary:
    """Write ``count`` generations starting on ``day`` (UTC) into ``data_dir``'s store."""
    started = time.perf_counter()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db_path = data_dir / DB_FILE_NAME
    conn = connect(db_path, synchronous="NORMAL")
    try:
        ensure_schema(conn)
    finally:
        conn.close()
    specs = chunk_specs(day, count, seed)
    visible_at = now_ms()
    workers = min(2, os.cpu_count() or 1, len(specs))
    if count < PARALLEL_FROM_ROWS or workers < 2:
        written = _write_chunks(db_path, specs, visible_at)
    else:
        # Interleave chunks so both workers move through the day together.
        shares = [specs[i::workers] for i in range(workers)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            written = sum(
                pool.starmap(_write_chunks, [(db_path, share, visible_at) for share in shares])
            )
    return SeedSummary(written, day, time.perf_counter() - started, db_path)
