"""``wake_stalled_pool_steps``: the daemon hands a free ``duckdb_writer`` slot to a step that
Dagster's pool queue left waiting beside it (recovery/stalled_pool_steps.py).

It requests no runs. Every 30 s it reads the pool's slots and queue (three small queries) and
assigns a slot only when a step waits unassigned while a slot is free; without a daemon,
``cost-pipeline recover`` does the same once.
"""

from __future__ import annotations

import dagster as dg

from cost_pipeline.recovery.stalled_pool_steps import wake_stalled_steps

CHECK_EVERY_S = 30


@dg.sensor(
    minimum_interval_seconds=CHECK_EVERY_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Hands a free duckdb_writer slot to a step Dagster's pool queue left waiting "
    "beside it (a race in Dagster's queue); requests no runs.",
)
def wake_stalled_pool_steps(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    woken = wake_stalled_steps(context.instance)
    for step in woken:
        context.log.warning(
            f"Step {step.step_key} of run {step.run_id} waited for a {step.pool} slot that was "
            "free (Dagster's pool queue missed it): assigned it the slot."
        )
    if not woken:
        return dg.SkipReason("No step waits beside a free pool slot.")
    return dg.SkipReason(f"Assigned a free pool slot to {len(woken)} waiting step(s).")
