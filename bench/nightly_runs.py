"""The schedule's two nightly runs through the real run queue and daemon, on three instances.

    uv run python -m bench.nightly_runs [--rows-per-day 300000] [--runs 3]
    uv run python -m bench.nightly_runs --variants queued --code-trees /tmp/before .

Seeds two days into one serve-local, then for each variant queues the two runs a 01:00 tick
makes (yesterday and the day before, ``raw_generations`` and everything after it) with
``dagster job launch`` on a fresh DAGSTER_HOME and warehouse, and starts ``dagster-daemon run``,
which finds both in the queue at once, as it finds a tick's requests:
- **new-instance**: the ``duckdb_writer`` pool limit only, on an instance where no step has
  claimed the pool yet, so the pool has no row in Dagster's storage (every new DAGSTER_HOME
  before ``ensure_dagster_home`` registered the pool);
- **pool-only**: the same limit on an instance whose pool has its row (one that ran before);
- **queued**: the project's instance: the pool's row, and runs of ``daily_spend_job`` limited to
  one in progress (the ``cost_pipeline/writes_warehouse`` tag).
CPU seconds are those of every process in the daemon's session (the daemon, its code server,
the run workers), sampled from /proc every 0.1 s. The wall time runs from the daemon's start
to the last run's end, and to the end of yesterday's run (when its spend is ready), from
Dagster's run records. Every variant must load every generation.

``--code-trees``: run each variant with the code of each of these checkouts (e.g. a
``git worktree`` of an earlier commit and this one), alternating round by round; the daemon, its
code server and the runs import ``cost_pipeline`` from the tree (PYTHONPATH and working
directory), the harness itself is this checkout's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import psutil

from bench.cli_runs import DAGSTER, run_one, seeded_server
from cost_pipeline.demo.dagster_home import DAGSTER_YAML, ensure_dagster_home
from cost_pipeline.warehouse.resource import WAREHOUSE_RUN_TAG

DAY_BEFORE, YESTERDAY = date(2026, 10, 1), date(2026, 10, 2)
LOCATION = ["-m", "cost_pipeline.definitions"]
RUN_QUEUE_LIMIT = "".join(
    f"{line}\n"
    for line in ("  runs:", "    tag_concurrency_limits:", f"      - key: {WAREHOUSE_RUN_TAG}",
                 "        limit: 1")
)  # fmt: skip
VARIANTS = ("new-instance", "pool-only", "queued")
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def prepared_home(variant: str, path: Path) -> Path:
    """A DAGSTER_HOME as the variant's instance is before the tick."""
    path.mkdir(parents=True)
    if variant == "queued":
        return ensure_dagster_home(path)
    if RUN_QUEUE_LIMIT not in DAGSTER_YAML:
        raise SystemExit("dagster_home.DAGSTER_YAML no longer holds the run queue limit")
    (path / "dagster.yaml").write_text(DAGSTER_YAML.replace(RUN_QUEUE_LIMIT, ""))
    if variant == "pool-only":
        return ensure_dagster_home(path)  # registers the pool; keeps this dagster.yaml
    with dg.DagsterInstance.from_config(str(path)):  # the storage only: the pool has no row
        pass
    return path.resolve()


class SessionCpu(threading.Thread):
    """The CPU seconds of every process in one session, each process's last sample kept."""

    def __init__(self, session_id: int) -> None:
        super().__init__(daemon=True)
        self.session_id, self.ticks_by_pid = session_id, {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    self._sample(entry.name)

    def _sample(self, pid: str) -> None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return  # gone between the listing and the read
        # After the command's closing parenthesis: state is field 0, session 3, utime 11, stime 12.
        if int(fields[3]) == self.session_id:
            self.ticks_by_pid[pid] = int(fields[11]) + int(fields[12])

    def seconds(self) -> float:
        self.stopping.set()
        self.join()
        return sum(self.ticks_by_pid.values()) / TICKS_PER_S


def launch(day: date, kind: str, env: dict[str, str], log: Path) -> str:
    """Queue one run as the tick would (the daemon is not running yet); its id."""
    run_id = str(uuid.uuid4())
    tags = {"dagster/partition": day.isoformat(), "cost_pipeline/run": kind}
    command = [DAGSTER, "job", "launch", *LOCATION, "-j", "daily_spend_job", "-o",
               "raw_generations*", "--tags", json.dumps(tags), "--run-id", run_id]  # fmt: skip
    run_one(command, env, log)
    return run_id


def wait_for(home: Path, run_ids: list[str], timeout_s: float = 900) -> list[dg.RunRecord]:
    deadline = time.monotonic() + timeout_s
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
            if len(records) == len(run_ids) and all(r.dagster_run.is_finished for r in records):
                by_id = {r.dagster_run.run_id: r for r in records}
                return [by_id[run_id] for run_id in run_ids]
            time.sleep(0.5)
    raise SystemExit(f"runs {run_ids} did not finish within {timeout_s} s")


def stop_process_group(leader: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Stop the daemon's process group and wait for every process in it, not the daemon alone:
    its code server and run workers outlive it by a moment, writing to DAGSTER_HOME's history/
    while the work directory is already being removed, and a code server the daemon starts while
    it is being stopped misses the first SIGTERM (one was left running after a smoke test)."""
    terminated: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while alive := _group_members(leader.pid):
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                if time.monotonic() > deadline:
                    process.kill()
                elif process.pid not in terminated:
                    process.terminate()
                    terminated.add(process.pid)
        time.sleep(0.1)
    leader.wait()


def _group_members(group: int) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if _group_of(p) == group and _still_running(p)]


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except ProcessLookupError:
        return None


def _still_running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie writes nothing any more
    except psutil.NoSuchProcess:
        return False


def one_variant(variant: str, server_env: dict[str, str], work: Path, rows: int) -> dict[str, Any]:
    home = prepared_home(variant, work / "dagster_home")
    env = {**os.environ, **server_env, "DAGSTER_HOME": str(home), "COST_PIPELINE_HOME": str(work)}
    log = work / "runs.log"
    # Both runs are queued before the daemon starts: its first pass finds them together, in
    # the tick's order, as it finds a tick's two requests.
    run_ids = [launch(YESTERDAY, "daily", env, log),
               launch(DAY_BEFORE, "late-data-refresh", env, log)]  # fmt: skip
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            [str(Path(DAGSTER).parent / "dagster-daemon"), "run", *LOCATION],
            env=env, stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
    started = time.time()
    cpu = SessionCpu(daemon.pid)
    cpu.start()
    try:
        records = wait_for(home, run_ids)
    finally:
        stop_process_group(daemon)
    cpu_s = cpu.seconds()
    failed = [r.dagster_run.run_id for r in records if r.dagster_run.status.value != "SUCCESS"]
    if failed:
        raise SystemExit(f"{variant}: runs {failed} did not succeed; see {log}")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (loaded,) = con.execute("select count(*) from raw_generations").fetchone()
    if loaded != 2 * rows:
        raise SystemExit(f"{variant}: {loaded} generations loaded, {2 * rows} seeded")
    daily = records[0]  # launched first, as the tick asks for it first
    first, second = sorted(records, key=lambda r: r.start_time)
    return {
        "wall_s": round(max(r.end_time for r in records) - started, 1),
        "yesterday_done_s": round(daily.end_time - started, 1),
        "cpu_s": round(cpu_s, 1),
        "run_s": [round(r.end_time - r.start_time, 1) for r in records],
        "second_started_before_first_ended": second.start_time < first.end_time,
    }


FIGURES = (("wall", "wall_s"), ("yesterday's run done", "yesterday_done_s"), ("CPU", "cpu_s"))


def spread(runs: list[dict[str, Any]], key: str) -> str:
    values = [run[key] for run in runs]
    return f"{statistics.median(values):.1f} s ({min(values)}-{max(values)})"


def case_name(variant: str, tree: Path | None) -> str:
    return f"{variant}@{tree}" if tree else variant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-day", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--code-trees", nargs="+", type=Path, default=[])
    parser.add_argument("--out", default="bench/results/nightly_runs.json")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    trees = [tree.absolute() for tree in args.code_trees] or [None]
    cases = [(variant, tree) for variant in args.variants for tree in trees]
    results: dict[str, list[dict[str, Any]]] = {case_name(*case): [] for case in cases}
    with tempfile.TemporaryDirectory(prefix="nightly-runs-") as tmp:
        work = Path(tmp)
        days = [DAY_BEFORE, YESTERDAY]
        with seeded_server(work / "serve-local", days, args.rows_per_day) as server_env:
            for number in range(args.runs):
                for case, (variant, tree) in enumerate(cases):  # alternating: the same machine
                    name = case_name(variant, tree)
                    if tree:
                        os.environ["PYTHONPATH"] = str(tree)
                        os.chdir(tree)
                    run_dir = work / f"{variant}-{case}-{number}"
                    result = one_variant(variant, server_env, run_dir, args.rows_per_day)
                    results[name].append(result)
                    print(f"{name}: {json.dumps(result)}", flush=True)
    for name, runs in results.items():
        print(f"{name:>9}: " + ", ".join(f"{label} {spread(runs, key)}" for label, key in FIGURES))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows_per_day": args.rows_per_day, **results}))


if __name__ == "__main__":
    main()
