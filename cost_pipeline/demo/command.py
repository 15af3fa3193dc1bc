"""Click commands ``cost-pipeline demo`` and ``cost-pipeline dev``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from cost_pipeline import settings
from cost_pipeline.demo.dagster_home import (
    ensure_dagster_home,
    has_pool_limit,
    has_run_queue_limit,
)
from cost_pipeline.demo.environment import patched_environ, run_env
from cost_pipeline.demo.local_server import ServerStartError, serve_local
from cost_pipeline.demo.signals import Terminated, default_sigint, sigterm_unwinds
from cost_pipeline.demo.watchdog import watched_serve_local
from cost_pipeline.warehouse.resource import WAREHOUSE_RUN_TAG

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def first_partition() -> date:
    """COST_PIPELINE_START_DATE, checked before anything starts: a bad value would otherwise
    surface as a traceback from deep inside the code location's import."""
    try:
        return date.fromisoformat(settings.partitions_start_date())
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def demo_days(count: int, today: date | None = None) -> list[date]:
    """The last ``count`` complete UTC days, oldest first."""
    today = today or datetime.now(UTC).date()
    return [today - timedelta(days=offset) for offset in range(count, 0, -1)]


@click.command("demo")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 31),
              help="How many past UTC days to generate traffic for and process.")  # fmt: skip
def demo(days: int) -> None:
    """Start serve-local, simulate a week of LLM traffic, run the pipeline, print the spend."""
    import dagster as dg

    from cost_pipeline.demo.pipeline import run_days
    from cost_pipeline.demo.report import print_spend, print_where_things_are

    # Wide enough for the spend table and the copy-paste commands when output is not a terminal.
    console = Console(width=max(Console().width, 120))
    window = demo_days(days)
    start = first_partition()
    if window[0] < start:
        raise click.ClickException(
            f"{window[0]} is before the first partition ({start}); "
            "set COST_PIPELINE_START_DATE earlier"
        )
    home = settings.home_dir().resolve()
    try:
        with sigterm_unwinds(), serve_local(settings.local_data_dir().resolve()) as server:
            console.print(f"serve-local (Langfuse API + provider simulator) on {server.base_url}")
            # A throwaway instance: 2x faster than the SQLite one under DAGSTER_HOME and nothing
            # to clean up after an interrupted run; the warehouse and exports are what persist.
            with (
                patched_environ(run_env(home, server)),
                dg.DagsterInstance.ephemeral() as instance,
            ):
                outcome = run_days(window, console, instance)
                warehouse, export_root = settings.warehouse_target(), settings.export_root()
    except ServerStartError as error:
        raise click.ClickException(str(error)) from None
    finally:
        console.print("serve-local stopped.")
    console.print(f"Loaded {outcome.rows_loaded:,} generations from Langfuse.\n")
    print_spend(console, warehouse, window[0], window[-1])
    for failed in outcome.failed_checks:
        console.print(f"[yellow]check did not pass:[/yellow] {escape(failed)}")
    print_where_things_are(console, warehouse, Path(export_root))


@click.command("dev")
@click.option("--port", default=3000, show_default=True, type=int,
              help="Port of serve-local (0 picks a free one).")  # fmt: skip
@click.option("--ui-host", default="127.0.0.1", show_default=True)
@click.option("--ui-port", default=3001, show_default=True, type=int)
def dev(port: int, ui_host: str, ui_port: int) -> None:
    """Dagster UI (dg dev) with serve-local running in the background."""
    first_partition()
    check_ui_port(ui_host, ui_port)
    console = Console()
    home = settings.home_dir().resolve()
    dagster_home = ensure_dagster_home(home / "dagster_home")
    shown_home = escape(str(dagster_home))  # a path is not rich markup, brackets and all
    if not has_pool_limit(dagster_home):
        console.print(
            f"[yellow]{shown_home}/dagster.yaml sets no pool limit; add "
            "'concurrency: {pools: {default_limit: 1}}' so DuckDB writers never overlap.[/yellow]"
        )
    if not has_run_queue_limit(dagster_home):
        console.print(
            f"[yellow]{shown_home}/dagster.yaml does not queue the schedule's runs; add "
            "'concurrency: {runs: {tag_concurrency_limits: [{key: "
            f"{WAREHOUSE_RUN_TAG}, limit: 1}}]}}}}' so the second nightly run waits in the "
            "queue instead of polling for the pool on a core (README, Schedule and "
            "backfills).[/yellow]"
        )
    try:
        with (
            sigterm_unwinds(),
            # Restarted on its port if it dies: the UI's runs were given that URL at start.
            watched_serve_local(settings.local_data_dir().resolve(), console, port=port) as server,
        ):
            env = {**os.environ, **run_env(home, server, dagster_home)}
            command = dagster_dev_command(ui_host, ui_port)
            console.print(f"serve-local on {server.base_url}; DAGSTER_HOME={shown_home}")
            console.print(f"Dagster UI: http://{ui_host}:{ui_port}  (Ctrl-C stops both)")
            code = _run_foreground(command, env)
    except ServerStartError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(code)


def check_ui_port(host: str, port: int) -> None:
    """Fail before anything starts when the UI's port is taken: Dagster's webserver only logs
    that it cannot bind, and ``dg dev`` keeps running (daemon and all) without a UI."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a UI just stopped is free to it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            raise click.ClickException(
                f"the Dagster UI cannot use {host}:{port} ({reason}): pick another port with "
                "--ui-port (e.g. --ui-port 3101), or stop what listens there"
            ) from None


def dagster_dev_command(host: str, port: int) -> list[str]:
    """``dg dev`` in the project directory when available, else ``dagster dev -m ...``."""
    bin_dir = Path(sys.executable).parent
    pyproject = PROJECT_ROOT / "pyproject.toml"
    dg = bin_dir / "dg"
    if dg.exists() and pyproject.exists() and "[tool.dg]" in pyproject.read_text():
        return [str(dg), "dev", "--host", host, "--port", str(port)]
    return [str(bin_dir / "dagster"), "dev", "-m", "cost_pipeline.definitions",
            "-h", host, "-p", str(port)]  # fmt: skip


def _run_foreground(command: list[str], env: dict[str, str]) -> int:
    cwd = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else None
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        command, env=env, cwd=cwd, preexec_fn=default_sigint
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the whole group: give Dagster time to shut down cleanly.
        return _wait_or_terminate(process)
    except Terminated:
        process.terminate()
        _wait_or_terminate(process)
        raise


def _wait_or_terminate(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
