"""``cost-pipeline recover``: after a crash, free what dead runs still hold in DAGSTER_HOME, and
hand a free pool slot to a step Dagster's queue left waiting."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cost_pipeline.recovery.stalled_pool_steps import QueuedStep


@click.command("recover")
@click.option(
    "--dry-run", is_flag=True, help="Only list the stale runs and stalled steps; change nothing."
)
def recover(dry_run: bool) -> None:
    """Mark runs whose process died (kill -9, OOM, power loss) failed and free their pool slots;
    hand a free pool slot to a step Dagster's pool queue left waiting beside it.

    Needed when later runs wait forever with "Step blocked by limit for pool duckdb_writer",
    or runs of daily_spend_job stay queued behind one that shows as started.
    Re-running the partitions afterwards resumes each load from its last checkpoint.
    """
    import dagster as dg

    from cost_pipeline.recovery.stale_runs import (
        NotALocalInstance,
        find_stale_runs,
        release_stale_runs,
    )
    from cost_pipeline.recovery.stalled_pool_steps import stalled_steps, wake_stalled_steps

    if not os.environ.get("DAGSTER_HOME"):
        raise click.ClickException(
            "DAGSTER_HOME is not set: point it at the instance the runs used "
            "(cost-pipeline dev uses $COST_PIPELINE_HOME/dagster_home)"
        )
    with dg.DagsterInstance.get() as instance:
        # Any SQL instance: the slots and queue are in its storage, wherever the runs ran.
        _report_stalled(
            stalled_steps(instance) if dry_run else wake_stalled_steps(instance), dry_run
        )
        try:
            stale = find_stale_runs(instance) if dry_run else release_stale_runs(instance)
        except NotALocalInstance as error:
            raise click.ClickException(str(error)) from None
    if not stale:
        click.echo("No stale runs: every run in flight still has its process.")
        return
    verb = "would release" if dry_run else "released"
    for run in stale:
        slots = ", held a duckdb_writer slot" if run.holds_slots else ""
        day = f" partition {run.partition}" if run.partition else ""
        click.echo(f"{verb} run {run.run_id} ({run.job_name}{day}): {run.reason}{slots}")
    if not dry_run:
        click.echo("Re-run those partitions: each load resumes from its last checkpoint.")


def _report_stalled(stalled: list[QueuedStep], dry_run: bool) -> None:
    verb = "would assign" if dry_run else "assigned"
    for step in stalled:
        click.echo(
            f"{verb} the free {step.pool} slot to step {step.step_key} of run {step.run_id}: "
            "it waited beside it (Dagster's pool queue missed it)"
        )
