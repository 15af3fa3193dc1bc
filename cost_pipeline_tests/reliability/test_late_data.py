"""Late data: generations that become readable after a day's first load are picked up by the
schedule's refresh of that day the next night, within the guaranteed window.

The window: the refresh re-reads ``[H - lookback, end of day)``, H being the latest start time
loaded for the day. A generation missed at load time L started after L - delay (delay = how long
it took to become readable), and H <= L, so every generation with delay <= lookback (2 h by
default) is re-read. The test pins the boundary: start time H - lookback is caught, one
millisecond earlier is not (only a full_refresh reads that far back).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest

from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.definitions import defs
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    day_start,
    failure_text,
    ids_in,
    metadata,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("reliability_late")

DAY = datetime.now(UTC).date() - timedelta(days=80)
LOOKBACK = timedelta(hours=2)
HIGH_WATER = day_start(DAY) + timedelta(hours=23)  # the latest generation readable at first load
LATE = {
    "late-inside": HIGH_WATER - timedelta(hours=1),
    "late-at-boundary": HIGH_WATER - LOOKBACK,
    "late-just-outside": HIGH_WATER - LOOKBACK - timedelta(milliseconds=1),
}


def scheduled_requests(tick: datetime) -> dict[str, dg.RunRequest]:
    schedule = defs.resolve_schedule_def("daily_spend_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    requests = schedule.evaluate_tick(context).run_requests
    return {request.tags["cost_pipeline/run"]: request for request in requests}


def run_request(server, database, request: dg.RunRequest, **config) -> dg.ExecuteInProcessResult:
    """Execute what a schedule run request asks for (minus synthetic traffic) for its day."""
    selected = {key.to_user_string() for key in request.asset_selection}
    assets = [raw_generations, *sql_model_assets]
    assert {a.key.to_user_string() for a in assets} <= selected
    return dg.materialize(
        assets,
        partition_key=request.partition_key,
        tags=request.tags,
        resources={
            "warehouse": WarehouseResource(database=str(database)),
            "langfuse": LangfuseResource(
                base_url=server.base_url,
                public_key=server.public_key,
                secret_key=server.secret_key,
            ),
        },
        run_config={"ops": {"raw_generations": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def calls_in_mart(database) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select coalesce(sum(calls), 0) from spend_by_feature_team where date = ?", [DAY]
        ).fetchone()[0]


def test_late_generations_are_picked_up_by_the_next_nights_refresh(serve_local, tmp_path):
    database = tmp_path / "w.duckdb"
    on_time = [
        observation(f"on-time-{h:02d}", day_start(DAY) + timedelta(hours=h)) for h in range(24)
    ]
    serve_local.inject(on_time)
    # Stored now, readable only in an hour: the state of Langfuse at the day's first load.
    serve_local.set_knobs(visibility_delay_s=3600)
    serve_local.inject([observation(obs_id, start) for obs_id, start in LATE.items()])
    serve_local.set_knobs(visibility_delay_s=0)

    first_night = scheduled_requests(
        datetime.combine(DAY + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=1)
    )
    first = run_request(serve_local, database, first_night["daily"])
    assert first.success, failure_text(first)
    assert metadata(first)["mode"] == "full"
    assert set(ids_in(database, "raw_generations", DAY)) == {row["id"] for row in on_time}

    # They become readable (a second, visible copy of each: the hidden ones stay hidden).
    serve_local.inject([observation(obs_id, start) for obs_id, start in LATE.items()])
    second_night = scheduled_requests(
        datetime.combine(DAY + timedelta(days=2), datetime.min.time(), UTC) + timedelta(hours=1)
    )
    refresh = second_night["late-data-refresh"]
    assert refresh.partition_key == DAY.isoformat()
    refreshed = run_request(serve_local, database, refresh)
    assert refreshed.success, failure_text(refreshed)
    meta = metadata(refreshed)
    assert meta["mode"] == "incremental"
    assert meta["window_from"] == (HIGH_WATER - LOOKBACK).replace(tzinfo=UTC).timestamp()
    assert meta["rows_upserted_new"] == 2
    loaded = set(ids_in(database, "raw_generations", DAY))
    assert {"late-inside", "late-at-boundary"} <= loaded
    assert "late-just-outside" not in loaded  # outside the guaranteed window
    assert calls_in_mart(database) == 24 + 2  # the spend table counts them too

    # Anything later than the window: a full refresh re-reads the whole day.
    full = run_request(serve_local, database, refresh, full_refresh=True)
    assert full.success, failure_text(full)
    assert metadata(full)["rows_upserted_new"] == 1
    assert calls_in_mart(database) == 24 + 3
    assert_exactly_the_truth(serve_local, database, DAY)
