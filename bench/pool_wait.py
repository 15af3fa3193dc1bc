"""What a run costs while it waits for the ``duckdb_writer`` pool slot.

    uv run python -m bench.pool_wait [--hold-s 30] [--runs 3]

One run holds the slot for ``--hold-s`` seconds (``bench/pool_wait_location.py``: assets that
only hold the pool, so nothing of ours is measured). Two runs that need the slot for no time at
all start once it is held: ``dagster asset materialize`` (the in-process executor, as the
schedule and the UI run our jobs) and ``dagster job execute`` on the multiprocess executor.
Both waiters start together, the moment the holder's step has the slot (after it frees it they
also queue behind each other, briefly: their steps take no time). Each waiter's wall and CPU
seconds (``os.wait4``, its step processes included) are set beside the same command run with the
slot free, in the same session: the extra CPU over the extra wall time is the share of a core
the wait keeps busy. A hold shorter than a run's start-up (~5 s) makes nobody wait.

A waiter that queues just as the holder frees the slot can be left beside the free slot for good
(a race in Dagster's pool queue); the parent wakes such a step as the project's sensor would
and counts it in the holder's ``waiters_woken_from_stall``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import dagster as dg

from bench.cli_runs import DAGSTER, CliRun, run_one, stopped_on_error
from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.recovery.stalled_pool_steps import wake_stalled_steps

LOCATION = ("-m", "bench.pool_wait_location")
WAITERS = {
    "in-process": [DAGSTER, "asset", "materialize", *LOCATION, "--select", "wait_for_writer_pool"],
    "multiprocess": [
        *(DAGSTER, "job", "execute", *LOCATION),
        *("-j", "wait_for_writer_pool_multiprocess"),
    ],
}
HOLDER = [DAGSTER, "asset", "materialize", *LOCATION, "--select", "hold_writer_pool"]
# A waiter that started, loaded its code and finished within this of its free run never
# waited (a hold shorter than a run's start-up): no share of a core is computed for it.
MIN_WAIT_S = 1.0


def one_round(hold_s: float, work: Path, waiters: list[str]) -> dict[str, dict[str, Any]]:
    """The waiters with the slot free, then the same waiters while another run holds it."""
    home = ensure_dagster_home(work / "dagster_home")
    held = work / "held"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "POOL_WAIT_HELD": str(held),
        "POOL_WAIT_HOLD_S": str(hold_s),
    }
    log = work / "runs.log"
    free = {name: run_one(WAITERS[name], env, log) for name in waiters}
    with stopped_on_error([CliRun(HOLDER, env, log)]) as runs:
        while not held.exists():  # the holder's step has the slot once it runs
            if runs[0].child.poll() is not None:
                raise SystemExit(f"the holding run ended early; its output:\n{log.read_text()}")
            time.sleep(0.05)
        runs += [CliRun(WAITERS[name], env, log) for name in waiters]  # both start at once
        woken = wake_stalled_steps_until_done(runs, home)
        held_run, *blocked = (run.finish() for run in runs)
    result: dict[str, dict[str, Any]] = {
        "holder": {**asdict(held_run), "waiters_woken_from_stall": woken}
    }
    for name, waited in zip(waiters, blocked, strict=True):
        waited_s = waited.wall_s - free[name].wall_s
        extra_cpu_s = waited.cpu_s - free[name].cpu_s
        result[name] = {
            "free_wall_s": free[name].wall_s,
            "free_cpu_s": free[name].cpu_s,
            "blocked_wall_s": waited.wall_s,
            "blocked_cpu_s": waited.cpu_s,
            "waited_s": waited_s,
            "extra_cpu_s": extra_cpu_s,
            "cores_busy_while_waiting": extra_cpu_s / waited_s if waited_s >= MIN_WAIT_S else None,
        }
    return result


def wake_stalled_steps_until_done(runs: list[CliRun], home: Path) -> int:
    """Play the daemon's ``wake_stalled_pool_steps`` sensor while the runs go on: a waiter that
    queues just as the holder frees the slot is otherwise left beside it for good (a race in
    Dagster's pool queue, recovery/stalled_pool_steps.py). Returns how many it woke."""
    woken = 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while any(run.running() for run in runs):
            woken += len(wake_stalled_steps(instance))
            time.sleep(0.5)
    return woken


def summary(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, float | None]]:
    def median(values: list[float | None]) -> float | None:
        known = [value for value in values if value is not None]
        return statistics.median(known) if known else None

    return {
        name: {key: median([r[name][key] for r in rounds]) for key in rounds[0][name]}
        for name in rounds[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-s", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--waiters", nargs="+", choices=list(WAITERS), default=list(WAITERS))
    parser.add_argument("--out", default="bench/results/pool_wait.json")
    args = parser.parse_args()
    rounds = []
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="pool-wait-") as work:
            rounds.append(one_round(args.hold_s, Path(work), args.waiters))
        print(f"round {number}: {json.dumps(rounds[-1])}", flush=True)
    medians = summary(rounds)
    for name in args.waiters:
        m = medians[name]
        share = m["cores_busy_while_waiting"]
        print(
            f"{name:>12}: slot free {m['free_wall_s']:.1f} s wall, {m['free_cpu_s']:.1f} CPU-s; "
            f"held: {m['blocked_wall_s']:.1f} s wall ({m['waited_s']:.1f} s longer), "
            f"{m['blocked_cpu_s']:.1f} CPU-s (+{m['extra_cpu_s']:.1f}): "
            + (f"{share:.2f} of a core while waiting" if share is not None else "it never waited")
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"hold_s": args.hold_s, "rounds": rounds, "medians": medians}))


if __name__ == "__main__":
    main()
