"""Dagster CLI commands run as measured child processes (``bench.pool_wait``, ``backfill_runs``,
``nightly_runs``), and the seeded serve-local the pipeline's runs load from.

``os.wait4`` gives each child's own CPU seconds, its step processes included. A child still
running when the benchmark stops (an error, Ctrl-C, SIGTERM) is killed, so no run is left
polling a pool in a directory that is being deleted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.loader_common import PUBLIC_KEY, SECRET_KEY
from bench.serve_local_common import running_server
from cost_pipeline.local.seed import seed_generations

DAGSTER = str(Path(sys.executable).parent / "dagster")


@dataclass(frozen=True)
class Finished:
    wall_s: float
    cpu_s: float


class CliRun:
    """One command started now, its output appended to ``log`` (a file: a pipe would fill)."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.log = command, log
        with log.open("ab") as out:
            self.child = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        self.began = time.perf_counter()

    def running(self) -> bool:
        """Whether the command is still going, without reaping it (finish() measures it)."""
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, self.child.pid, flags) is None

    def finish(self) -> Finished:
        _, status, usage = os.wait4(self.child.pid, 0)
        self.child.returncode = os.waitstatus_to_exitcode(status)
        if self.child.returncode != 0:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(self.command)} failed; its output:\n{tail}")
        return Finished(time.perf_counter() - self.began, usage.ru_utime + usage.ru_stime)


@contextmanager
def stopped_on_error(runs: list[CliRun]) -> Iterator[list[CliRun]]:
    """Kill every run in ``runs`` that is still going when the block raises."""
    try:
        yield runs
    except BaseException:
        for run in runs:
            if run.child.poll() is None:
                run.child.kill()
                run.child.wait()
        raise


def run_one(command: list[str], env: dict[str, str], log: Path) -> Finished:
    with stopped_on_error([CliRun(command, env, log)]) as (run,):
        return run.finish()


@contextmanager
def seeded_server(data_dir: Path, days: list[date], rows_per_day: int) -> Iterator[dict[str, str]]:
    """serve-local holding ``rows_per_day`` generations on each day; yields the environment
    that points a run at it."""
    for seed, day in enumerate(days):
        seed_generations(data_dir, day, rows_per_day, seed=seed)
    with running_server(data_dir) as info:
        yield {
            "LANGFUSE_BASE_URL": info["base_url"],
            "LANGFUSE_PUBLIC_KEY": PUBLIC_KEY,
            "LANGFUSE_SECRET_KEY": SECRET_KEY,
        }
