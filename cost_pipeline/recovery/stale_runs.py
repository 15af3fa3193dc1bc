"""Release what a crashed run left behind in a local Dagster instance.

A run killed without warning (kill -9, OOM killer, power loss) stays "started" forever and keeps
its ``duckdb_writer`` pool slot, because Dagster frees a slot only when the step ends or, with
the daemon, some time after the run ended. With a pool limit of 1 every later run that touches
the warehouse then waits for that slot with no end ("Step blocked by limit for pool
duckdb_writer"). The warehouse itself is fine: the load resumes from its last checkpoint.

A run is stale when its process (the pid Dagster recorded when the run started) is gone, or the
pid now belongs to a process started after the run. Only instances with local (SQLite) storage
are handled: their runs ran on this machine, so a pid means something here. Stale runs are
marked failed, with a message saying why, and their slots are released; live runs are left
alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import psutil
from dagster import DagsterEventType, DagsterRunStatus

# Statuses of a run whose process should exist.
_IN_FLIGHT = (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)
# A process started this long after the run's start cannot be the run (clock granularity).
_PID_REUSE_MARGIN_S = 2.0


class NotALocalInstance(RuntimeError):
    """The instance stores runs elsewhere (e.g. Postgres): pids here say nothing about them."""


@dataclass(frozen=True)
class StaleRun:
    run_id: str
    job_name: str
    partition: str | None
    pid: int | None
    holds_slots: bool
    reason: str


def find_stale_runs(instance: dg.DagsterInstance) -> list[StaleRun]:
    """Runs in flight whose process is gone (oldest first)."""
    _require_local(instance)
    holders = _slot_holders(instance)
    stale = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=list(_IN_FLIGHT)))
    for record in sorted(records, key=lambda r: r.create_timestamp):
        run = record.dagster_run
        pid = _run_pid(instance, run.run_id)
        reason = _why_dead(pid, record.start_time or record.create_timestamp.timestamp())
        if reason is None:
            continue
        stale.append(
            StaleRun(
                run_id=run.run_id,
                job_name=run.job_name,
                partition=run.tags.get("dagster/partition"),
                pid=pid,
                holds_slots=run.run_id in holders,
                reason=reason,
            )
        )
    return stale


def release_stale_runs(instance: dg.DagsterInstance) -> list[StaleRun]:
    """Mark every stale run failed and free its pool slots; returns what was released."""
    stale = find_stale_runs(instance)
    for entry in stale:
        run = instance.get_run_by_id(entry.run_id)
        if run is not None and run.status in _IN_FLIGHT:
            instance.report_run_failed(
                run,
                message=f"Marked failed by `cost-pipeline recover`: {entry.reason}. Its work is "
                "kept up to the last committed checkpoint; re-run the partition to finish it.",
            )
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(entry.run_id)
    return stale


def _require_local(instance: dg.DagsterInstance) -> None:
    storage = type(instance.run_storage).__module__
    if ".sqlite" not in storage:
        raise NotALocalInstance(
            "this Dagster instance keeps its runs outside this machine "
            f"({type(instance.run_storage).__name__}); process ids here say nothing about "
            "them. Terminate stuck runs in the Dagster UI instead (with run_monitoring."
            "free_slots_after_run_end_seconds set, the daemon then frees their pool slots)."
        )


def _slot_holders(instance: dg.DagsterInstance) -> set[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return set()
    return set(storage.get_concurrency_run_ids())


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process executing the run, as recorded in its RUN_START event."""
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.RUN_START):
        if entry.dagster_event is not None and entry.dagster_event.pid is not None:
            return entry.dagster_event.pid
    return None


def _why_dead(pid: int | None, run_started_at: float) -> str | None:
    if pid is None:
        # Not started executing yet (queued or launching): nothing to judge by.
        return None
    try:
        process = psutil.Process(pid)
        created = process.create_time()
        zombie = process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return f"its process (pid {pid}) no longer exists"
    if zombie:
        return f"its process (pid {pid}) has exited"
    if created > run_started_at + _PID_REUSE_MARGIN_S:
        return f"pid {pid} now belongs to a process started after the run"
    return None
