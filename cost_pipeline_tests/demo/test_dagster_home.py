"""The DAGSTER_HOME the project creates limits the DuckDB writer pool to one step."""

from pathlib import Path

import dagster as dg
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


def test_a_file_an_older_version_wrote_is_brought_up_to_date(tmp_path):
    # What 584af0a wrote: today's file without the run queue limit and its comment.
    run_queue = "".join(
        f"{line}\n"
        for line in ("  runs:", "    tag_concurrency_limits:", f"      - key: {WAREHOUSE_RUN_TAG}",
                     "        limit: 1")
    )  # fmt: skip
    comment_start = DAGSTER_YAML.index("# Runs tagged")
    comment_end = DAGSTER_YAML.index("concurrency:\n")
    older = (DAGSTER_YAML[:comment_start] + DAGSTER_YAML[comment_end:]).replace(run_queue, "")
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
