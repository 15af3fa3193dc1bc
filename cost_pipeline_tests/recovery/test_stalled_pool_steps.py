"""A step Dagster's pool queue leaves waiting beside a free slot, and what wakes it.

The race is replayed with Dagster's own storage calls, in the order two runs interleave them
when one queues a step just as the other frees the slot (``claim_concurrency_slot`` counts the
free slots, then adds the step). Everything runs against a real SQLite instance.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.recovery.stalled_pool_steps import (
    QueuedStep,
    stalled_steps,
    wake_stalled_steps,
)
from cost_pipeline.sensors import wake_stalled_pool_steps
from cost_pipeline.warehouse.resource import WRITER_POOL

WAITER = QueuedStep(WRITER_POOL, "waiter-run", "raw_generations")


def queue_as_the_slot_is_freed(instance: dg.DagsterInstance) -> None:
    """A holder's step frees the pool's one slot between the waiter's two queueing steps."""
    storage = instance.event_log_storage
    storage.set_concurrency_slots(WRITER_POOL, 1)
    assert storage.claim_concurrency_slot(WRITER_POOL, "holder-run", "spend_export").is_claimed
    slot_free = storage.has_unassigned_slots(WRITER_POOL)  # the waiter: none free...
    storage.free_concurrency_slot_for_step("holder-run", "spend_export")  # ...the holder ends...
    storage.add_pending_step(  # ...and the waiter queues itself as it decided
        WRITER_POOL, WAITER.run_id, WAITER.step_key, should_assign=slot_free
    )


def claimed(instance: dg.DagsterInstance, step: QueuedStep) -> bool:
    claim = instance.event_log_storage.claim_concurrency_slot(step.pool, step.run_id, step.step_key)
    return claim.is_claimed


def test_a_step_queued_as_the_slot_is_freed_waits_until_woken(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        queue_as_the_slot_is_freed(instance)
        # Dagster's own polling never gets it the free slot (should this start failing, Dagster
        # has fixed the race and the workaround can go).
        assert not any(claimed(instance, WAITER) for _ in range(3))
        assert stalled_steps(instance) == [WAITER]

        assert wake_stalled_steps(instance) == [WAITER]
        assert claimed(instance, WAITER)
        assert stalled_steps(instance) == []
        assert wake_stalled_steps(instance) == []


def test_a_step_waiting_behind_a_held_slot_is_left_waiting(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(WRITER_POOL, 1)
        assert storage.claim_concurrency_slot(WRITER_POOL, "holder-run", "spend_export").is_claimed
        assert not claimed(instance, WAITER)  # queued the ordinary way, behind the holder

        assert stalled_steps(instance) == []
        assert wake_stalled_steps(instance) == []
        assert not claimed(instance, WAITER)
        storage.free_concurrency_slot_for_step("holder-run", "spend_export")
        assert claimed(instance, WAITER)  # Dagster's own hand-over, untouched


def test_one_free_slot_wakes_one_of_two_stalled_steps_in_dagsters_order(tmp_path):
    urgent = QueuedStep(WRITER_POOL, "urgent-run", "stg_generations")
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        queue_as_the_slot_is_freed(instance)
        storage = instance.event_log_storage
        storage.add_pending_step(WRITER_POOL, urgent.run_id, urgent.step_key, priority=5)
        assert set(stalled_steps(instance)) == {WAITER, urgent}

        assert wake_stalled_steps(instance) == [urgent]  # higher priority first, as Dagster does
        assert claimed(instance, urgent)
        assert not claimed(instance, WAITER)
        assert stalled_steps(instance) == []  # the slot is held again: WAITER waits its turn


def test_the_sensor_wakes_a_stalled_step_and_requests_no_run(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        queue_as_the_slot_is_freed(instance)
        result = wake_stalled_pool_steps(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason)
        assert "1 waiting step" in result.skip_message
        assert claimed(instance, WAITER)

        again = wake_stalled_pool_steps(dg.build_sensor_context(instance=instance))
        assert again.skip_message == "No step waits beside a free pool slot."


def test_the_sensor_is_in_the_code_location():
    from cost_pipeline.definitions import defs

    sensor = defs.resolve_sensor_def("wake_stalled_pool_steps")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_recover_lists_then_wakes_a_stalled_step(tmp_path):
    home = ensure_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        queue_as_the_slot_is_freed(instance)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    command = [str(Path(sys.executable).parent / "cost-pipeline"), "recover"]

    def recover(*args: str) -> str:
        done = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    line = f"the free {WRITER_POOL} slot to step {WAITER.step_key} of run {WAITER.run_id}"
    assert f"would assign {line}" in recover("--dry-run")
    assert f"assigned {line}" in recover()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert claimed(instance, WAITER)
    assert line not in recover()


def test_a_running_daemon_wakes_a_stalled_step_through_the_sensor(tmp_path):
    """The real `dagster-daemon` on the project's code location: its sensor daemon evaluates
    wake_stalled_pool_steps, which assigns the slot. Nothing else could: no run exists, and
    Dagster's own claims never hand it over (the first test)."""
    from bench.nightly_runs import stop_process_group

    home = ensure_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        queue_as_the_slot_is_freed(instance)
        log = tmp_path / "daemon.log"
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-daemon"), "run"],
                cwd=Path(__file__).resolve().parents[2],  # finds the location in pyproject.toml
                env={**os.environ, "DAGSTER_HOME": str(home)},
                stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while stalled_steps(instance) and time.monotonic() < deadline:
                assert daemon.poll() is None, log.read_text()[-3000:]
                time.sleep(0.5)
        finally:
            stop_process_group(daemon)
        assert stalled_steps(instance) == [], log.read_text()[-3000:]
        assert claimed(instance, WAITER)
