"""Map big OTLP batches in worker processes, in parallel, and store them in one transaction.

Mapping a span is ~40 us of Python; with the GIL one process maps ~25,000 spans/s at best.
A batch of SDK size (512 spans) is split across worker processes (one per core), each
decoding the body and mapping its share; the server process then writes all rows in a single
transaction, committed before the 200. Small batches (most tests, light traffic) are mapped
in-process: no worker is ever started for them.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from starlette.concurrency import run_in_threadpool

from cost_pipeline.local.ingest import IngestRequest, MappedExport, rows_for_export
from cost_pipeline.local.otlp_decode import is_protobuf
from cost_pipeline.local.store import Store
from cost_pipeline.local.timefmt import now_ms

POOL_FROM_BYTES = 16_384  # ~150 SDK spans, gzip: below that IPC costs more than it saves


def _watch_parent(parent_pid: int) -> None:
    # A SIGKILLed server runs no clean-up; its workers must not outlive it.
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


def _init_worker(parent_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    gc.set_threshold(50_000, 20, 50)


class IngestPool:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or min(2, os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def _use_pool(self, request: IngestRequest) -> bool:
        return (
            self.workers > 1
            and len(request.body) >= POOL_FROM_BYTES
            and is_protobuf(request.content_type)
        )

    async def rows(self, request: IngestRequest, delay_s: float) -> tuple[MappedExport, bool]:
        """(rows and spans left out, whether worker processes mapped them)."""
        if not self._use_pool(request):
            return await run_in_threadpool(rows_for_export, request, delay_s), False
        ingested = now_ms()
        loop = asyncio.get_running_loop()
        pool = self._pool()
        try:
            parts = await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool, rows_for_export, request, delay_s, ingested, part, self.workers
                    )
                    for part in range(self.workers)
                )
            )
        except BrokenProcessPool:
            self.close()  # a worker died (OOM, killed): start afresh next time
            return await run_in_threadpool(rows_for_export, request, delay_s, ingested), False
        mapped = MappedExport()
        for part in parts:
            mapped.extend(part)
        return mapped, True

    async def ingest(
        self, store: Store, request: IngestRequest, delay_s: float
    ) -> tuple[int, list[str], bool]:
        """Store one export in one transaction; (spans stored, why any span was left out,
        mapped by workers?)."""
        mapped, pooled = await self.rows(request, delay_s)
        await run_in_threadpool(store.write, mapped.rows)
        return len(mapped.rows), mapped.rejected, pooled

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
