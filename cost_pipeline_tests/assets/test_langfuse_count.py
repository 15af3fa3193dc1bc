"""raw_generations/langfuse_count against a real serve-local: late data past the lookback."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.langfuse_count import langfuse_count
from cost_pipeline.langfuse.generation_count import CountUnavailable, generations_per_day
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    serve_local_resources,
    spread_over,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("langfuse_count")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("count")) as srv:
        yield srv


def load_and_check(
    server: Any, database: Path, partition: str, **config: Any
) -> list[dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [raw_generations, langfuse_count],
        partition_key=None if "..." in partition else partition,
        tags=_range_tags(partition) if "..." in partition else None,
        resources=serve_local_resources(server, database),
        run_config={"ops": {"raw_generations": {"config": config}}} if config else None,
    )
    return [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def _range_tags(partition: str) -> dict[str, str]:
    first, last = partition.split("...")
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def test_generations_past_the_lookback_are_found_missing_until_a_full_refresh(server, tmp_path):
    day = BASE_DAY - timedelta(days=20)
    database = tmp_path / "w.duckdb"
    server.inject(spread_over(day, 300, "counted"))
    (first,) = load_and_check(server, database, day.isoformat())
    assert first.passed, first.metadata
    assert first.metadata["langfuse_generations"].value == 300

    # A late import: start times early in the day, hours before the re-run's lookback window.
    early = day_start(day) + timedelta(hours=1)
    server.inject([observation(f"late-{i}", early + timedelta(seconds=i)) for i in range(20)])
    (rerun,) = load_and_check(server, database, day.isoformat())
    assert not rerun.passed
    assert rerun.severity == dg.AssetCheckSeverity.WARN
    assert rerun.metadata["missing_generations"].value == 20
    assert '{"full_refresh": true}' in rerun.metadata["summary"].text

    (refreshed,) = load_and_check(server, database, day.isoformat(), full_refresh=True)
    assert refreshed.passed, refreshed.metadata
    assert refreshed.metadata["stored_generations"].value == 320


def test_a_range_run_asks_once_and_files_a_result_per_day(server, tmp_path):
    first = BASE_DAY - timedelta(days=30)
    days = [first + timedelta(days=n) for n in range(3)]
    for n, day in enumerate(days):
        server.inject(spread_over(day, 10 * (n + 1), f"range{n}"))
    server.reset_stats()
    evaluations = load_and_check(server, tmp_path / "w.duckdb", f"{days[0]}...{days[-1]}")
    per_day = {e.partition: e for e in evaluations if e.partition}
    assert sorted(per_day) == [day.isoformat() for day in days]
    assert [per_day[d.isoformat()].metadata["langfuse_generations"].value for d in days] == [
        10,
        20,
        30,
    ]
    assert all(e.passed for e in evaluations)
    metrics_requests = server.stats()["requests"].get("GET /api/public/v2/metrics", {})
    assert sum(metrics_requests.values()) == 1, server.stats()["requests"]


def test_counts_per_day_and_the_errors_that_say_why_not(server):
    day = BASE_DAY - timedelta(days=40)
    server.inject(spread_over(day, 7, "direct"))
    connection = LangfuseConnection(server.base_url, server.public_key, server.secret_key)
    counts = generations_per_day(connection, day - timedelta(days=1), day + timedelta(days=2))
    assert counts == {day: 7}

    pasted = "sk-lf-pasted-into-the-url"  # a key in the URL's path never reaches the message
    elsewhere = LangfuseConnection(f"{server.base_url}/{pasted}", server.public_key, pasted)
    with pytest.raises(CountUnavailable, match="no /api/public/v2/metrics") as no_api:
        generations_per_day(elsewhere, day, day + timedelta(days=1))
    assert no_api.value.unsupported
    assert pasted not in str(no_api.value)

    wrong = LangfuseConnection(server.base_url, server.public_key, "sk-lf-wrong-secret")
    with pytest.raises(CountUnavailable, match="LANGFUSE_SECRET_KEY") as refused:
        generations_per_day(wrong, day, day + timedelta(days=1))
    assert not refused.value.unsupported
    assert "sk-lf-wrong-secret" not in str(refused.value)
