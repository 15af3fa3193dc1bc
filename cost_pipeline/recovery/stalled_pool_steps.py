"""Hand a free pool slot to a step that Dagster's pool queue left waiting for it.

Dagster (1.13.27 as locked, and 1.13.29, the newest on 2026-12-07; SQL instance storage) queues a
step for a pool slot in two steps: it counts the slots nobody holds, then adds the step to the
queue, marked "assigned" only if one was free. If a step of another run frees the slot between
the two, the free hands the slot on to the steps already queued, which do not include this one
yet; the step is then queued unassigned beside a free slot. It keeps polling ("Step still blocked
by limit for pool duckdb_writer" every 5 minutes, a core busy) until some other step frees a
slot, which never happens if no other run needs the pool. Seen in this project's test suite:
``bench.pool_wait``'s waiter, which starts just as the holder frees the slot, was still polling
15 minutes later.

Assigning such a step is what the free would have done had the step been queued a moment
earlier. It is safe even when it races Dagster's own assignment: a step still takes its slot
atomically, so a step assigned with no slot left waits for one like any assigned step.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from cost_pipeline.warehouse.resource import WRITER_POOL


@dataclass(frozen=True)
class QueuedStep:
    pool: str
    run_id: str
    step_key: str


def stalled_steps(instance: dg.DagsterInstance, pool: str = WRITER_POOL) -> list[QueuedStep]:
    """Steps queued for ``pool`` unassigned while the pool has a slot no step was given."""
    return _stalled(instance, pool)[0]


def wake_stalled_steps(instance: dg.DagsterInstance, pool: str = WRITER_POOL) -> list[QueuedStep]:
    """Assign each slot no step was given to the next stalled step, in Dagster's own queue
    order (priority, then first queued); returns the steps assigned."""
    storage = instance.event_log_storage
    assign = getattr(storage, "assign_pending_steps", None)  # SQL storages (SQLite, Postgres)
    waiting, unpromised = _stalled(instance, pool)
    if not waiting or assign is None:
        return []
    for _ in range(unpromised):
        assign([pool])
    after = storage.get_concurrency_info(pool)
    assigned = {(s.run_id, s.step_key) for s in after.pending_steps if s.assigned_timestamp}
    return [step for step in waiting if (step.run_id, step.step_key) in assigned]


def _stalled(instance: dg.DagsterInstance, pool: str) -> tuple[list[QueuedStep], int]:
    """The unassigned steps of ``pool`` when it has slots no step was given, and how many."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return [], 0
    info = storage.get_concurrency_info(pool)
    unpromised = info.slot_count - info.assigned_step_count
    if unpromised <= 0:
        return [], 0
    waiting = [
        QueuedStep(pool, step.run_id, step.step_key)
        for step in info.pending_steps
        if step.assigned_timestamp is None
    ]
    return waiting, unpromised
