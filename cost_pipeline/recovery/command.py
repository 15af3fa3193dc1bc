"""``cost-pipeline recover``: after a crash, free what dead runs still hold in DAGSTER_HOME."""

from __future__ import annotations

import os

import click


@click.command("recover")
@click.option("--dry-run", is_flag=True, help="Only list the stale runs; change nothing.")
def recover(dry_run: bool) -> None:
    """Mark runs whose process died (kill -9, OOM, power loss) failed and free their pool slots.

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

    if not os.environ.get("DAGSTER_HOME"):
        raise click.ClickException(
            "DAGSTER_HOME is not set: point it at the instance the runs used "
            "(cost-pipeline dev uses $COST_PIPELINE_HOME/dagster_home)"
        )
    with dg.DagsterInstance.get() as instance:
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
