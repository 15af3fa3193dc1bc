"""A DAGSTER_HOME whose instance limits the DuckDB writer pool to one step at a time.

DuckDB allows one writing process per database file. Every asset and check that opens the
warehouse runs in the ``duckdb_writer`` pool; this instance config gives pools a limit of 1, so
two runs (a backfill, the schedule, a manual run) never hold the file at the same time. Runs of
``daily_spend_job`` also queue one at a time, so the schedule's second run waits in the run queue
rather than in a process polling for the pool slot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from cost_pipeline.warehouse.resource import WAREHOUSE_RUN_TAG, WRITER_POOL

if TYPE_CHECKING:
    import dagster as dg

DAGSTER_YAML = f"""\
# Written by cost-pipeline (cost_pipeline/demo/dagster_home.py).
# Every asset and check that opens the DuckDB warehouse runs in the "{WRITER_POOL}" pool.
# DuckDB allows one writing process per file, so pools default to one step at a time.
# Runs tagged {WAREHOUSE_RUN_TAG} (every run of daily_spend_job, e.g. the schedule's two
# nightly runs) wait in the run queue one at a time: started behind a held pool slot, a run
# keeps a core busy polling for it until the slot frees.
concurrency:
  pools:
    default_limit: 1
  runs:
    tag_concurrency_limits:
      - key: {WAREHOUSE_RUN_TAG}
        limit: 1
# A run killed without warning keeps its pool slot; once it is marked failed or canceled (in the
# UI, or by `cost-pipeline recover`), the daemon frees the slot after this many seconds, on its
# next look at the runs (every poll_interval_seconds; Dagster's default of 120 s kept the next
# run waiting ~2 minutes after a crash).
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 30
  poll_interval_seconds: 15
"""


def ensure_dagster_home(path: Path) -> Path:
    """Create ``path/dagster.yaml`` with the pool limit unless the user already has one.

    A file exactly as an older cost-pipeline wrote it is brought up to date; any other file
    (the user's own, or ours edited) is never touched.
    """
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists() or _written_by_an_older_version(config):
        config.write_text(DAGSTER_YAML)
    _create_storage(path)
    return path.resolve()


# sha256 (first 16 hex digits) of each DAGSTER_YAML earlier versions wrote: without the
# run_monitoring section (dc7b536), without the run queue limit (584af0a), and without
# run_monitoring's poll_interval_seconds (7a5481c).
_EARLIER_VERSIONS = {"9afd6da057648178", "fd78e41e15e02e3b", "29851cfab5ce80a6"}


def _written_by_an_older_version(config: Path) -> bool:
    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
    return digest in _EARLIER_VERSIONS


def _create_storage(path: Path) -> None:
    """Create the instance's SQLite storage now, from this one process.

    Dagster creates it on first use; several runs started at once on a new DAGSTER_HOME (a
    backfill from the shell) would race on that and fail with alembic errors.
    """
    import dagster as dg  # only here: the module is imported by commands that avoid Dagster

    with dg.DagsterInstance.from_config(str(path)) as instance:
        _register_writer_pool(instance)


def _register_writer_pool(instance: dg.DagsterInstance) -> None:
    """Give the ``duckdb_writer`` pool its row now, at the default limit.

    Dagster creates it when a step first claims the pool. Until then its run queue sees no
    limit for the pool: it started both of a tick's runs on a new instance, and the second
    polled for the slot on a core while the first worked (BENCHMARKS.md, fourth session). A limit
    set for the pool already, or an instance without a default limit, is left as it is.
    """
    storage = instance.event_log_storage
    if instance.global_op_concurrency_default_limit is None:
        return
    if WRITER_POOL not in storage.get_concurrency_keys():
        storage.initialize_concurrency_limit_to_default(WRITER_POOL)


def has_pool_limit(path: Path) -> bool:
    """Whether an existing dagster.yaml sets a pool limit (we never overwrite a user's file)."""
    config = path / "dagster.yaml"
    return config.exists() and "default_limit" in config.read_text()


def has_run_queue_limit(path: Path) -> bool:
    """Whether an existing dagster.yaml queues the warehouse-writing runs one at a time."""
    config = path / "dagster.yaml"
    if not config.exists():
        return False
    settings = yaml.safe_load(config.read_text()) or {}
    runs = (settings.get("concurrency") or {}).get("runs") or {}
    return any(
        limit.get("key") == WAREHOUSE_RUN_TAG and limit.get("limit") is not None
        for limit in runs.get("tag_concurrency_limits") or []
    )
