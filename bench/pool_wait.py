"""What a run costs while it waits for the ``duckdb_writer`` pool slot.

    uv run python -m bench.pool_wait [--hold-s 30] [--runs 3]

One run holds the slot for ``--hold-s`` seconds (``bench/pool_wait_location.py``: assets that
only hold the pool, so nothing of ours is measured). Two runs that need the slot for no time at
all start once it is held: ``dagster asset materialize`` (the in-process executor, as the
schedule and the UI run our jobs) and ``dagster job execute`` on the multiprocess executor.
Each waiter's CPU seconds (``os.wait4``, its step processes included) are set beside the same
command run with the slot free, in the same session; the difference over the seconds waited is
the share of a core the wait keeps busy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cost_pipeline.demo.dagster_home import ensure_dagster_home

DAGSTER = str(Path(sys.executable).parent / "dagster")
LOCATION = ("-m", "bench.pool_wait_location")
WAITERS = {
    "in-process": [DAGSTER, "asset", "materialize", *LOCATION, "--select", "wait_for_writer_pool"],
    "multiprocess": [
        DAGSTER,
        "job",
        "execute",
        *LOCATION,
        "-j",
        "wait_for_writer_pool_multiprocess",
    ],
}
HOLDER = [DAGSTER, "asset", "materialize", *LOCATION, "--select", "hold_writer_pool"]


@dataclass(frozen=True)
class Finished:
    wall_s: float
    cpu_s: float


def start(command: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen, float]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=out), time.perf_counter()


def finish(child: subprocess.Popen, began: float, log: Path) -> Finished:
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(child.args)} failed; its output:\n{log.read_text()[-3000:]}")
    return Finished(time.perf_counter() - began, usage.ru_utime + usage.ru_stime)


def one_round(hold_s: float, work: Path, waiters: list[str]) -> dict[str, dict[str, float]]:
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
    free = {name: finish(*start(WAITERS[name], env, log), log) for name in waiters}
    holder = start(HOLDER, env, log)
    while not held.exists():  # the holder's step has the slot once it runs
        if holder[0].poll() is not None:
            raise SystemExit(f"the holding run ended early; its output:\n{log.read_text()}")
        time.sleep(0.05)
    waiting = {name: start(WAITERS[name], env, log) for name in waiters}
    held_run = finish(*holder, log)
    blocked = {name: finish(*child, log) for name, child in waiting.items()}
    result = {"holder": {"wall_s": held_run.wall_s, "cpu_s": held_run.cpu_s}}
    for name in waiters:
        waited_s = max(blocked[name].wall_s - free[name].wall_s, 1e-9)
        extra_cpu_s = blocked[name].cpu_s - free[name].cpu_s
        result[name] = {
            "free_wall_s": free[name].wall_s,
            "free_cpu_s": free[name].cpu_s,
            "blocked_wall_s": blocked[name].wall_s,
            "blocked_cpu_s": blocked[name].cpu_s,
            "waited_s": waited_s,
            "extra_cpu_s": extra_cpu_s,
            "cores_busy_while_waiting": extra_cpu_s / waited_s,
        }
    return result


def summary(rounds: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        name: {key: statistics.median(r[name][key] for r in rounds) for key in rounds[0][name]}
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
        print(
            f"{name:>12}: slot free {m['free_wall_s']:.1f} s wall, {m['free_cpu_s']:.1f} CPU-s; "
            f"waited {m['waited_s']:.1f} s, {m['blocked_cpu_s']:.1f} CPU-s "
            f"(+{m['extra_cpu_s']:.1f}: {m['cores_busy_while_waiting']:.2f} of a core waiting)"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"hold_s": args.hold_s, "rounds": rounds, "medians": medians}))


if __name__ == "__main__":
    main()
