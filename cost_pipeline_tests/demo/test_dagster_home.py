"""The DAGSTER_HOME the project creates limits the DuckDB writer pool to one step."""

from pathlib import Path

import dagster as dg
import pytest
import yaml

from cost_pipeline.demo.dagster_home import (
    DAGSTER_YAML,
    ensure_dagster_home,
    has_pool_limit,
    has_run_queue_limit,
)
from cost_pipeline.warehouse.resource import WAREHOUSE_RUN_TAG, WRITER_POOL

REPO = Path(__file__).resolve().parents[2]


def test_instance_from_the_generated_home_limits_the_writer_pool_to_one(tmp_path):
    home = ensure_dagster_home(tmp_path / "dagster_home")
    assert has_pool_limit(home) and has_run_queue_limit(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
        assert info.limit == 1


def test_an_existing_user_config_is_left_alone(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    assert not has_pool_limit(home) and not has_run_queue_limit(home)


def test_the_repositorys_dagster_yaml_sets_what_the_generated_home_sets():
    """`dagster dev` in the checkout reads ./dagster.yaml, `cost-pipeline dev` the generated one."""
    repository_file = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert repository_file == yaml.safe_load(DAGSTER_YAML)
    limits = repository_file["concurrency"]["runs"]["tag_concurrency_limits"]
    assert limits == [{"key": WAREHOUSE_RUN_TAG, "limit": 1}]


# What earlier versions wrote, word for word: without run_monitoring (dc7b536), without the
# run queue limit (584af0a), and checking runs every 120 s (Dagster's default, 7a5481c).
_FIRST_VERSION = """\
# Written by cost-pipeline (cost_pipeline/demo/dagster_home.py).
# Every asset and check that opens the DuckDB warehouse runs in the "duckdb_writer" pool.
# DuckDB allows one writing process per file, so pools default to one step at a time.
concurrency:
  pools:
    default_limit: 1
"""
_SECOND_VERSION = (
    _FIRST_VERSION
    + """\
# A run killed without warning keeps its pool slot; once it is marked failed or canceled (in the
# UI, or by `cost-pipeline recover`), the daemon frees the slot after this many seconds.
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 30
"""
)


_THIRD_VERSION = """\
# Written by cost-pipeline (cost_pipeline/demo/dagster_home.py).
# Every asset and check that opens the DuckDB warehouse runs in the "duckdb_writer" pool.
# DuckDB allows one writing process per file, so pools default to one step at a time.
# Runs tagged cost_pipeline/writes_warehouse (every run of daily_spend_job, e.g. the schedule's two
# nightly runs) wait in the run queue one at a time: started behind a held pool slot, a run
# keeps a core busy polling for it until the slot frees.
concurrency:
  pools:
    default_limit: 1
  runs:
    tag_concurrency_limits:
      - key: cost_pipeline/writes_warehouse
        limit: 1
# A run killed without warning keeps its pool slot; once it is marked failed or canceled (in the
# UI, or by `cost-pipeline recover`), the daemon frees the slot after this many seconds.
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 30
"""


def test_a_killed_runs_slot_is_freed_within_a_minute(tmp_path):
    """Found operating `cost-pipeline dev`: after a kill -9 the next queued run waited 1 min 41 s
    for the slot, because the daemon looked at ended runs every 120 s (Dagster's default), not
    "after 30 seconds" as the file said. At worst a slot is now free after poll + 30 s."""
    home = ensure_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        poll = instance.run_monitoring_poll_interval_seconds
        free_after = instance.run_monitoring_settings["free_slots_after_run_end_seconds"]
        assert poll + free_after <= 60


@pytest.mark.parametrize(
    "older",
    [_FIRST_VERSION, _SECOND_VERSION, _THIRD_VERSION],
    ids=["first", "second", "third"],
)
def test_a_file_an_older_version_wrote_is_brought_up_to_date(tmp_path, older):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(older)
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    # The same file with one line of the user's own is theirs now: left alone.
    edited = older + "telemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(edited)
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == edited


def test_a_run_queue_limit_named_only_in_a_comment_is_no_limit(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        f"# {WAREHOUSE_RUN_TAG} would be queued\nconcurrency:\n  pools:\n    default_limit: 1\n"
    )
    assert has_pool_limit(home) and not has_run_queue_limit(home)


def test_the_writer_pool_exists_before_any_step_claims_it(tmp_path):
    """Dagster's run queue holds back a run for a full pool only once the pool has its row."""
    home = ensure_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert WRITER_POOL in instance.event_log_storage.get_concurrency_keys()


def test_a_pool_limit_the_user_set_is_kept(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(WRITER_POOL, 3)
    ensure_dagster_home(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info(WRITER_POOL).slot_count == 3
