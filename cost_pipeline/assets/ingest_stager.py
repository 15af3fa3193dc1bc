"""Stage the next batch while the current one commits, on a second cursor of the load's connection.

Staging (parsing and typing a batch's pages, ~55% of the writer's CPU) reads only the batch's
page files and fills the cursor's own temp tables, so it can run while the previous batch is
inserted and committed on the other cursor. DuckDB releases the GIL, and each connection's query
runs on the thread that issued it even with ``threads = 1``, so the two use both cores (measured
in BENCHMARKS.md, loader section). Commits stay in fetch order on the writer's thread; this
module only decides where and when a batch is staged.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cost_pipeline.assets.ingest_types import utc_now
from cost_pipeline.warehouse.parse import StagedBatch, prepare_session, stage_batch
from cost_pipeline.warehouse.spool import SpooledPage


@dataclass(frozen=True)
class StagedWork:
    lane: duckdb.DuckDBPyConnection  # the cursor whose temp tables hold the staged rows
    pages: list[SpooledPage]
    loaded_at: datetime
    staged: StagedBatch


class BatchStager:
    """A lane (connection) per batch alive at once: with ``ahead``, two cursors (the batch
    committing and the next); without, the load's connection itself.

    The caller keeps at most two batches alive and commits them in the order it staged them,
    so a lane is never staged into while its previous batch is still uncommitted.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, *, ahead: bool) -> None:
        # One batch at a time needs no second connection (a cursor costs ~25 MB of peak RSS,
        # measured); the loader's cursors keep their catalog (warehouse/loading_session.py).
        self._cursors = [conn.cursor() for _ in range(2)] if ahead else []
        self._lanes = self._cursors or [conn]
        for lane in self._lanes:
            prepare_session(lane)  # temp macros and the time zone belong to each connection
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="stage") if ahead else None
        self._turn = 0

    def stage(self, pages: list[SpooledPage]) -> Future[StagedWork]:
        lane = self._lanes[self._turn]
        self._turn = (self._turn + 1) % len(self._lanes)
        if self._executor is not None:
            return self._executor.submit(_stage, lane, pages)
        done: Future[StagedWork] = Future()
        try:
            done.set_result(_stage(lane, pages))
        except Exception as exc:  # delivered by result(), as from the executor
            done.set_exception(exc)
        return done

    def close(self) -> None:
        """Wait for a staging in progress (a cursor must not close under its query), then close."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        for cursor in self._cursors:
            cursor.close()


def _stage(lane: duckdb.DuckDBPyConnection, pages: list[SpooledPage]) -> StagedWork:
    loaded_at = utc_now()
    return StagedWork(lane, pages, loaded_at, stage_batch(lane, pages, loaded_at))
