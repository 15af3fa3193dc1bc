"""kill -9 of a real ``dagster asset materialize`` loading raw_generations, at seeded random
points, again and again; then a clean re-run.

After every kill the warehouse opens read-only, holds each id at most once, and its rows agree
with the checkpoint committed beside them. The dead run is released with `cost-pipeline recover`'s
code (it holds the duckdb_writer slot of a pool-limited DAGSTER_HOME, as `cost-pipeline dev` sets
one up); the final run resumes from the checkpoint, asks for fewer pages than a full load, and
leaves exactly the server's generations. Every killed attempt has its ``ingest_runs`` row, written
by the load after it: failed, saying it ended without recording an outcome, its figures null.
"""

import math
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.local.seed import seed_generations
from cost_pipeline.recovery.stale_runs import release_stale_runs
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import assert_exactly_the_truth, ids_in

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability_crash")]

DAY = datetime.now(UTC).date() - timedelta(days=90)
ROWS = 50_000
FULL_LOAD_PAGES = math.ceil(ROWS / 1000)
KILLS_MID_LOAD = 5
RNG = random.Random(20261124)
DAGSTER = str(Path(sys.executable).parent / "dagster")


# Small batches commit every ~0.6 s at 150 ms a page (a partial batch waits 2 s for more), so
# kills a few pages apart land between different commits.
MATERIALIZE = [DAGSTER, "asset", "materialize", "-m", "cost_pipeline.definitions",
               "--select", "raw_generations", "--partition", DAY.isoformat(),
               "--config-json",
               '{"ops": {"raw_generations": {"config": {"batch_pages": 4}}}}']  # fmt: skip


def start_materialize(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        # Its own session: the kill takes the whole process group, like a crash of the host.
        return subprocess.Popen(
            MATERIALIZE, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill9(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def wait_for(condition, what: str, process: subprocess.Popen, timeout_s: float = 90.0) -> bool:
    """Poll ``condition``; False if the process ended first (it finished before the kill)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)  # polling the server's page counter
    return True


def release_in_process(dagster_home: Path) -> list:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        released = release_stale_runs(instance)
    assert all("no longer exists" in run.reason for run in released)
    return released


def release_with_the_cli(env: dict[str, str]) -> None:
    """What a user runs after a crash: a clear report, and nothing left the second time."""
    recover = [str(Path(sys.executable).parent / "cost-pipeline"), "recover"]
    done = subprocess.run(recover, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "released run" in done.stdout and "held a duckdb_writer slot" in done.stdout
    assert f"partition {DAY.isoformat()}" in done.stdout
    again = subprocess.run(recover, env=env, capture_output=True, text=True, timeout=120)
    assert "No stale runs" in again.stdout


def pages_served(server, pages: int):
    return lambda: server.stats()["pages_served"] >= pages


def check_after_kill(database: Path) -> int:
    """The file opens read-only and its rows agree with the checkpoint committed with them."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "ingest_state" not in tables:
            return 0  # killed before the schema was created
        count, distinct = con.execute(
            "select count(*), count(distinct id) from raw_generations where partition_date = ?",
            [DAY],
        ).fetchone()
        state = con.execute(
            "select status, rows_loaded, rows_rejected from ingest_state where partition_date = ?",
            [DAY],
        ).fetchone()
        rejected = con.execute(
            "select count(*) from rejected_generations where partition_date = ?", [DAY]
        ).fetchone()[0]
    assert count == distinct
    if state is not None:
        assert state[0] == "running"  # nobody got to write failed or complete
        assert (count, rejected) == (state[1], state[2])
    return count


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("crash")) as srv:
        seed_generations(srv.data_dir, DAY, ROWS, seed=5)
        srv.set_knobs(page_latency_ms=150)  # so a kill lands in the middle of the load
        yield srv


def test_kill9_at_random_points_then_rerun_loads_each_generation_once(server, tmp_path):
    dagster_home = ensure_dagster_home(tmp_path / "dagster_home")
    home = tmp_path / "home"
    spool_parent = tmp_path / "tmp"  # the runs' temp directory, where loads spool their pages
    spool_parent.mkdir()
    env = {
        **os.environ,
        **server.env(),
        "DAGSTER_HOME": str(dagster_home),
        "COST_PIPELINE_HOME": str(home),
        "TMPDIR": str(spool_parent),
    }
    database = home / "warehouse.duckdb"
    progress: list[int] = []
    killed_mid_load: list[str] = []  # Dagster run ids of the attempts killed after some pages
    killed_at_start_up: list[str] = []

    # The first kill lands during start-up (before any page), the others mid-load.
    for attempt in range(KILLS_MID_LOAD + 1):
        server.reset_stats()
        process = start_materialize(env, tmp_path / f"attempt-{attempt}.log")
        if attempt == 0:
            time.sleep(RNG.uniform(0.5, 2.5))  # a random moment of start-up, not a race
        else:
            pages = RNG.randint(1, 8)
            if not wait_for(pages_served(server, pages), f"{pages} pages", process):
                pytest.fail("the load finished before it could be killed: add rows or latency")
            time.sleep(RNG.uniform(0.0, 0.4))  # somewhere between fetching and committing
        kill9(process)
        if database.exists():
            progress.append(check_after_kill(database))
        if attempt < KILLS_MID_LOAD:
            released = release_in_process(dagster_home)
            assert len(released) == 1 or attempt == 0  # the run may not have started at all
        else:
            release_with_the_cli(env)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            slots = instance.event_log_storage.get_concurrency_info("duckdb_writer")
            assert slots.claimed_slots == []  # the next run is not blocked by a dead one
            if attempt > 0:
                (latest,) = instance.get_runs(limit=1)
                assert latest.status == dg.DagsterRunStatus.FAILURE
                killed_mid_load.append(latest.run_id)
            else:
                killed_at_start_up += [run.run_id for run in instance.get_runs(limit=1)]

    assert len(set(progress)) >= 3, f"kills did not land at different points: {progress}"
    assert progress == sorted(progress)  # committed work is never lost
    assert list(spool_parent.glob("cost-pipeline-pages-*")), "no killed load left its pages"
    server.reset_stats()
    final = subprocess.run(
        MATERIALIZE,
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert "resumed load" in final.stderr + final.stdout
    requests = server.stats()["read_requests"]
    assert 0 < requests < FULL_LOAD_PAGES  # resumed from the checkpoint, not from the start
    print(f"rows committed after each kill: {progress}; final run: {requests} requests")
    with duckdb.connect(str(database), read_only=True) as con:
        (status,) = con.execute(
            "select status from ingest_state where partition_date = ?", [DAY]
        ).fetchone()
        last_mode = con.execute(
            "select mode from ingest_runs where partition_date = ? order by started_at desc",
            [DAY],
        ).fetchone()[0]
    assert (status, last_mode) == ("complete", "resumed")
    assert_killed_attempts_recorded(database, killed_mid_load, killed_at_start_up)
    assert "resumed after an interrupted load: interrupted: the load of" in (
        final.stdout + final.stderr
    )
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("raw_generations"))
    metadata = event.asset_materialization.metadata
    assert metadata["interrupted_loads_recorded"].value == 1  # the last killed attempt
    # The final load removed the folders of the killed ones, then its own.
    assert "page spool folder(s) left by loads that were killed" in final.stdout + final.stderr
    assert list(spool_parent.glob("cost-pipeline-pages-*")) == []
    rejected = set(ids_in(database, "rejected_generations", DAY))
    assert_exactly_the_truth(server, database, DAY, rejected=rejected)


def assert_killed_attempts_recorded(
    database: Path, killed_mid_load: list[str], killed_at_start_up: list[str]
) -> None:
    """One failed ingest_runs row per killed attempt, saying what happened, its figures unknown."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select run_id, status, error, pages, rows_loaded, rows_new, api_requests, "
            "finished_at, started_at from ingest_runs where partition_date = ? "
            "and status <> 'complete' order by started_at",
            [DAY],
        ).fetchall()
    recorded = [row[0] for row in rows]
    # The start-up kill may have landed before the load began in the warehouse, or after.
    assert recorded in (killed_mid_load, killed_at_start_up + killed_mid_load), recorded
    for run_id, status, error, *figures, started_at in rows:
        assert status == "failed"
        assert error.startswith(f"interrupted: the load of {DAY} by run {run_id}, a ")
        assert "ended without recording an outcome (its process was killed or crashed" in error
        assert "resumes from its last checkpoint" in error
        assert figures == [None] * 5  # not known for an attempt that vanished
        assert started_at is not None
