"""When is a run stale, and where the recover command refuses to guess.

The full path (a real kill -9 of a run holding the pool slot, released by the command, then a
resumed load) is in reliability/test_crash_kill9.py.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from cost_pipeline.recovery.stale_runs import NotALocalInstance, _why_dead, find_stale_runs


def test_a_live_process_that_started_before_the_run_is_not_stale():
    assert _why_dead(os.getpid(), run_started_at=time.time()) is None


def test_a_pid_reused_by_a_newer_process_is_stale():
    reason = _why_dead(os.getpid(), run_started_at=0.0)
    assert reason == f"pid {os.getpid()} now belongs to a process started after the run"


def test_a_process_that_is_gone_is_stale():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert _why_dead(child.pid, run_started_at=0.0) == (
        f"its process (pid {child.pid}) no longer exists"
    )


def test_a_run_with_no_recorded_pid_is_left_alone():
    assert _why_dead(None, run_started_at=0.0) is None


def test_instances_with_remote_storage_are_refused():
    class PostgresRunStorage:  # stands in for dagster_postgres' storage class
        pass

    instance = SimpleNamespace(run_storage=PostgresRunStorage())
    with pytest.raises(NotALocalInstance, match="Terminate stuck runs in the Dagster UI"):
        find_stale_runs(instance)


def test_the_command_needs_dagster_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    command = [str(Path(sys.executable).parent / "cost-pipeline"), "recover"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "DAGSTER_HOME is not set" in done.stderr
