"""A code location for ``bench.pool_wait``: assets that only hold the warehouse writer pool.

They open no warehouse, so the benchmark measures what Dagster itself spends while one run
waits for another to free the ``duckdb_writer`` slot, and nothing of ours.
"""

import os
import time
from pathlib import Path

import dagster as dg

from cost_pipeline.warehouse.resource import WRITER_POOL


@dg.asset(pool=WRITER_POOL)
def hold_writer_pool() -> None:
    """Holds the slot for POOL_WAIT_HOLD_S seconds; touches POOL_WAIT_HELD once it has it."""
    Path(os.environ["POOL_WAIT_HELD"]).touch()
    time.sleep(float(os.environ["POOL_WAIT_HOLD_S"]))


@dg.asset(pool=WRITER_POOL)
def wait_for_writer_pool() -> None:
    """Needs the slot for no time at all: all it costs is the wait."""


multiprocess_job = dg.define_asset_job(
    "wait_for_writer_pool_multiprocess",
    selection=[wait_for_writer_pool],
    executor_def=dg.multiprocess_executor,
)

defs = dg.Definitions(assets=[hold_writer_pool, wait_for_writer_pool], jobs=[multiprocess_job])
