"""A DAGSTER_HOME whose instance limits the DuckDB writer pool to one step at a time.

DuckDB allows one writing process per database file. Every asset and check that opens the
warehouse runs in the ``duckdb_writer`` pool; this instance config gives pools a limit of 1, so
two runs (a backfill, the schedule, a manual run) never hold the file at the same time.
"""

from __future__ import annotations

from pathlib import Path

from cost_pipeline.warehouse.resource import WRITER_POOL

DAGSTER_YAML = f"""\
# Written by cost-pipeline (cost_pipeline/demo/dagster_home.py).
# Every asset and check that opens the DuckDB warehouse runs in the "{WRITER_POOL}" pool.
# DuckDB allows one writing process per file, so pools default to one step at a time.
concurrency:
  pools:
    default_limit: 1
# A run killed without warning keeps its pool slot; once it is marked failed or canceled (in the
# UI, or by `cost-pipeline recover`), the daemon frees the slot after this many seconds.
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 30
"""


def ensure_dagster_home(path: Path) -> Path:
    """Create ``path/dagster.yaml`` with the pool limit unless the user already has one."""
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    _create_storage(path)
    return path.resolve()


def _create_storage(path: Path) -> None:
    """Create the instance's SQLite storage now, from this one process.

    Dagster creates it on first use; several runs started at once on a new DAGSTER_HOME (a
    backfill from the shell) would race on that and fail with alembic errors.
    """
    import dagster as dg  # only here: the module is imported by commands that avoid Dagster

    with dg.DagsterInstance.from_config(str(path)):
        pass


def has_pool_limit(path: Path) -> bool:
    """Whether an existing dagster.yaml sets a pool limit (we never overwrite a user's file)."""
    config = path / "dagster.yaml"
    return config.exists() and "default_limit" in config.read_text()
