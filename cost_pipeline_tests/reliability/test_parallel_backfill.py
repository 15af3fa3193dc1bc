"""A 16-day backfill as two Dagster runs in parallel against one DAGSTER_HOME (the
duckdb_writer pool limited to 1, as `cost-pipeline dev` sets it up), with a BI reader polling the
warehouse and the exports the whole time.

Runs, started together: a `dagster job execute` range run of the first 8 days (raw_generations
and everything downstream) on the multiprocess executor (a subprocess per step;
multiprocess_location.py), and a `dagster asset materialize --partition-range` of the last 9 days
with the project's default in-process executor. They overlap by one day, which both load. None
may see a DuckDB lock error. The reader either gets a consistent snapshot (every day it sees is
complete: its total equals the final one) or a clear WarehouseBusy message, never a traceback
from a half-written file.
"""

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.local.seed import seed_generations
from cost_pipeline.recovery.stalled_pool_steps import wake_stalled_steps
from cost_pipeline.warehouse.reader import WarehouseBusy, WarehouseMissing, read_only_connection
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import assert_exactly_the_truth, ids_in, query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability_backfill")]

FIRST = datetime.now(UTC).date() - timedelta(days=130)
DAYS = [FIRST + timedelta(days=i) for i in range(16)]
OVERLAP = DAYS[7]  # loaded by both runs
ROWS_PER_DAY = 250
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
MART_BY_DAY = "select date, sum(calls) from spend_by_feature_team group by date"


def range_run(first, last) -> list[str]:
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }
    return [str(BIN / "dagster"), "job", "execute",
            "-m", "cost_pipeline_tests.reliability.multiprocess_location",
            "-j", "daily_spend_job_multiprocess", "-o", "raw_generations*",
            "--tags", json.dumps(tags)]  # fmt: skip


def in_process_range_run(first, last) -> list[str]:
    chain = "raw_generations,stg_generations,spend_by_feature_team,spend_export"
    return [str(BIN / "dagster"), "asset", "materialize", "-m", "cost_pipeline.definitions",
            "--select", chain, "--partition-range",
            f"{first.isoformat()}...{last.isoformat()}"]  # fmt: skip


class BiReader(threading.Thread):
    """Reads the mart (read-only connection) and the Parquet exports until told to stop."""

    def __init__(self, database: Path, exports: Path) -> None:
        super().__init__(daemon=True)
        self.database, self.exports = database, exports
        self.stop = threading.Event()
        self.mart_seen: list[tuple] = []
        self.parquet_seen: list[tuple] = []
        self.busy: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with read_only_connection(str(self.database)) as con:
                    self.mart_seen += con.execute(MART_BY_DAY).fetchall()
            except WarehouseBusy as busy:
                self.busy.append(str(busy))
            except (WarehouseMissing, duckdb.CatalogException):
                pass  # no warehouse file, or no mart, yet
            except Exception as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self.read_exports()
            # A dashboard refreshing 4 times a second. Polling every 0.1 s with a connection
            # per file took CPU from the runs on 2 cores: this process used 68 CPU-s, now 29.
            self.stop.wait(0.25)

    def read_exports(self) -> None:
        files = sorted(self.exports.glob("spend_by_feature_team/date=*/*.parquet"))
        try:
            con = duckdb.connect(config={"threads": 1})  # one session per refresh, not per file
        except Exception as exc:
            self.errors.append(f"connect: {type(exc).__name__}: {exc}")
            return
        with con:
            for path in files:
                try:
                    self.parquet_seen += con.execute(
                        "select date, sum(calls) from read_parquet(?) group by date", [str(path)]
                    ).fetchall()
                except Exception as exc:
                    self.errors.append(f"{path.name}: {type(exc).__name__}: {exc}")


def wait_waking_stalled_steps(
    processes: list[subprocess.Popen[bytes]], dagster_home: Path, timeout_s: float
) -> int:
    """Wait for the runs, doing what the daemon's wake_stalled_pool_steps sensor does (these CLI
    runs have no daemon): a step Dagster's pool queue leaves beside the free slot would
    otherwise wait for good (recovery/stalled_pool_steps.py). Returns how many it woke."""
    woken = 0
    deadline = time.monotonic() + timeout_s
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while any(process.poll() is None for process in processes):
            assert time.monotonic() < deadline, f"runs still going after {timeout_s} s"
            woken += len(wake_stalled_steps(instance))
            time.sleep(0.5)
    return woken


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("backfill")) as srv:
        for offset, day in enumerate(DAYS):
            seed_generations(srv.data_dir, day, ROWS_PER_DAY, seed=100 + offset)
        yield srv


def test_parallel_backfill_of_16_days_has_no_lock_errors_and_readers_see_whole_days(
    server, tmp_path
):
    dagster_home = ensure_dagster_home(tmp_path / "dagster_home")
    home = tmp_path / "home"
    env = {
        **os.environ,
        **server.env(),
        "DAGSTER_HOME": str(dagster_home),
        "COST_PIPELINE_HOME": str(home),
        # The runs start in tmp_path: the test code location must be importable from there.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    # Two runs, not more: the pool serialises every step, and each waiting step polls for the
    # slot with a backoff growing to 15 s, so a third run (the test had three, of 30 days)
    # added a minute of waiting and no case the overlap does not cover.
    commands = [range_run(DAYS[0], OVERLAP), in_process_range_run(OVERLAP, DAYS[-1])]
    reader = BiReader(home / "warehouse.duckdb", home / "exports")
    logs = [tmp_path / f"run-{i}.log" for i in range(len(commands))]
    processes = []
    for command, log in zip(commands, logs, strict=True):
        with log.open("wb") as out:
            processes.append(
                subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=out)
            )
    reader.start()
    try:
        woken = wait_waking_stalled_steps(processes, dagster_home, timeout_s=400)
        codes = [process.wait(timeout=10) for process in processes]
    finally:
        reader.stop.set()
        reader.join(30)
    output = "\n".join(log.read_text(errors="replace") for log in logs)
    assert codes == [0] * len(commands), output[-4000:]
    for lock_error in ("Could not set lock", "Conflicting lock", "IO Error"):
        assert lock_error not in output
    assert "Step blocked by limit for pool duckdb_writer" in output  # they did contend

    database = home / "warehouse.duckdb"
    final = {}
    for day in DAYS:
        rejected = set(ids_in(database, "rejected_generations", day))
        assert_exactly_the_truth(server, database, day, rejected=rejected)
        final[day] = len(ids_in(database, "raw_generations", day))
    assert dict(query(database, MART_BY_DAY)) == final  # the re-run day is not counted twice
    exported = sorted((home / "exports" / "spend_by_feature_team").glob("date=*/*.parquet"))
    assert len(exported) == len(DAYS)

    # The reader: whole days only, or a clear message; nothing else.
    assert reader.errors == []
    assert all(final[day] == calls for day, calls in reader.mart_seen)
    assert all(final[day] == calls for day, calls in reader.parquet_seen)
    assert reader.parquet_seen, "the reader never saw an export"
    assert all("is being written by process" in message for message in reader.busy)
    assert all("Read the exports under" in message for message in reader.busy)
    print(  # the figures RELIABILITY.md quotes
        f"reader: {len(reader.mart_seen)} mart day-totals read, {len(reader.busy)} busy, "
        f"{len(reader.parquet_seen)} parquet day-totals read; stalled steps woken: {woken}; "
        f"exports retried for a day the other run loaded again: {output.count('Export retried')}"
    )
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        statuses = Counter(run.status for run in instance.get_runs())
    assert statuses == {dg.DagsterRunStatus.SUCCESS: len(commands)}
    multiprocess, in_process = (log.read_text(errors="replace") for log in logs)
    assert "Launching subprocess for" in multiprocess
    assert "Launching subprocess for" not in in_process
