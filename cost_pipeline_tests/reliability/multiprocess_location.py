"""The production code location plus the daily job on Dagster's multiprocess executor (one
subprocess per step), the way users run backfills when they switch executors. The backfill test
launches range runs of it beside default runs, all sharing the duckdb_writer pool.

Steps start from Dagster's forkserver (the code location imported once, then forked) rather
than a fresh interpreter each: same subprocess per step and the same pool claims, ~65 CPU-s less
for the test (each spawned step re-imported Dagster and the code location, ~2.3 CPU-s)."""

import dagster as dg

from cost_pipeline import definitions as production
from cost_pipeline.schedules import CHAIN

daily_spend_job_multiprocess = dg.define_asset_job(
    name="daily_spend_job_multiprocess",
    selection=dg.AssetSelection.assets(*CHAIN),
    executor_def=dg.multiprocess_executor.configured({"start_method": {"forkserver": {}}}),
)

defs = dg.Definitions.merge(production.defs, dg.Definitions(jobs=[daily_spend_job_multiprocess]))
