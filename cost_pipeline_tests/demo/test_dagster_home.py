"""The DAGSTER_HOME the project creates limits the DuckDB writer pool to one step."""

import dagster as dg

from cost_pipeline.demo.dagster_home import ensure_dagster_home, has_pool_limit
from cost_pipeline.warehouse.resource import WRITER_POOL


def test_instance_from_the_generated_home_limits_the_writer_pool_to_one(tmp_path):
    home = ensure_dagster_home(tmp_path / "dagster_home")
    assert has_pool_limit(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
        assert info.limit == 1


def test_an_existing_user_config_is_left_alone(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    assert not has_pool_limit(home)
