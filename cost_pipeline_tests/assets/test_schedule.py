"""daily_spend_schedule: a tick at 01:00 UTC targets yesterday (whole chain) and the day before
(refresh from raw_generations, for late data)."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from dagster._utils.tags import TagConcurrencyLimitsCounter

from cost_pipeline.definitions import defs
from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.partitions import PARTITIONS_START_DATE

CHAIN = {
    "llm_traffic",
    "raw_generations",
    "stg_generations",
    "spend_by_feature_team",
    "spend_export",
}
REFRESH = CHAIN - {"llm_traffic"}


def tick(when: datetime) -> list[dg.RunRequest]:
    schedule = defs.resolve_schedule_def("daily_spend_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    return list(schedule.evaluate_tick(context).run_requests)


def selection(request: dg.RunRequest) -> set[str]:
    return {key.to_user_string() for key in request.asset_selection}


def test_schedule_runs_daily_at_one_utc_on_the_daily_job():
    schedule = defs.resolve_schedule_def("daily_spend_schedule")
    assert schedule.cron_schedule == "0 1 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "daily_spend_job"
    job_assets = {
        k.to_user_string()
        for k in defs.resolve_job_def("daily_spend_job").asset_layer.executable_asset_keys
    }
    assert job_assets == CHAIN


def test_tick_targets_yesterday_through_the_chain_and_refreshes_the_day_before():
    yesterday, day_before = tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert (yesterday.partition_key, day_before.partition_key) == ("2026-11-23", "2026-11-22")
    assert selection(yesterday) == CHAIN
    assert selection(day_before) == REFRESH


def test_run_keys_are_unique_across_ticks_so_the_refresh_is_not_deduplicated():
    first = tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    second = tick(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    assert [r.partition_key for r in second] == ["2026-11-24", "2026-11-23"]
    # 2026-11-23 is yesterday in the first tick and the day before in the second.
    keys = [r.run_key for r in first + second]
    assert len(set(keys)) == 4


def test_a_late_tick_still_targets_days_relative_to_its_scheduled_time():
    requests = tick(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    assert [r.partition_key for r in requests] == ["2026-02-28", "2026-02-27"]


def test_no_request_for_days_before_the_first_partition():
    start = datetime.fromisoformat(PARTITIONS_START_DATE).replace(tzinfo=UTC)
    requests = tick(start + timedelta(days=1, hours=1))
    assert [r.partition_key for r in requests] == [PARTITIONS_START_DATE]


@pytest.mark.parametrize(("value", "expected"), [("false", REFRESH), ("true", CHAIN)])
def test_traffic_switch(monkeypatch, value, expected):
    monkeypatch.setenv("COST_PIPELINE_SCHEDULE_TRAFFIC", value)
    yesterday, _ = tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert selection(yesterday) == expected


def test_the_ticks_two_runs_wait_in_the_run_queue_one_behind_the_other(tmp_path):
    """On the instance the project writes, the run queue holds the second nightly run while the
    first is in progress (a started run would poll for the pool slot on a core meanwhile)."""
    job = defs.resolve_job_def("daily_spend_job")
    first, second = (
        dg.DagsterRun(job_name=job.name, tags={**job.run_tags, **request.tags})
        for request in tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    )
    home = ensure_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert not TagConcurrencyLimitsCounter(limits, []).is_blocked(first)
    assert TagConcurrencyLimitsCounter(limits, [first]).is_blocked(second)
    # A run of anything else (a materialization from the asset graph) is not held by the queue;
    # its steps still wait for the pool.
    other = dg.DagsterRun(job_name="__ASSET_JOB", tags={"dagster/partition": "2026-11-23"})
    assert not TagConcurrencyLimitsCounter(limits, [first]).is_blocked(other)
