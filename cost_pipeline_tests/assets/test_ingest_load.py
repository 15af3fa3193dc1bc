"""raw_generations against a real serve-local: page edges, re-runs, late data, resume, faults."""

import math
from datetime import timedelta

import orjson
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    loaded_ids,
    materialize,
    metadata,
    query,
    read_requests,
    spread_over,
    truth,
    wait_until,
)
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = pytest.mark.xdist_group("ingest_load")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("ingest")) as srv:
        yield srv


@pytest.fixture
def fresh(server):
    server.set_knobs(fail_next=[], visibility_delay_s=0)
    server.reset_stats()
    return server


@pytest.mark.parametrize(("offset", "count"), [(0, 1000), (1, 1001)])
def test_page_boundaries(fresh, tmp_path, offset, count):
    day = BASE_DAY - timedelta(days=offset)
    fresh.inject(spread_over(day, count, f"edge{count}"))
    result = materialize(fresh, tmp_path / "w.duckdb", day)
    assert result.success
    meta = metadata(result)
    assert meta["api_requests"] == read_requests(fresh) == math.ceil(count / 1000)
    assert meta["rows_loaded"] == meta["rows_upserted_new"] == count
    assert loaded_ids(tmp_path / "w.duckdb", day) == truth(fresh, day)


def test_many_small_batches_load_every_row_once(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=12)  # a day of its own
    fresh.inject(spread_over(day, 1234, "batches"))
    database = tmp_path / "w.duckdb"
    result = materialize(fresh, database, day, page_limit=50, batch_pages=2)
    assert result.success
    meta = metadata(result)
    assert meta["pages"] == meta["api_requests"] == read_requests(fresh) == math.ceil(1234 / 50)
    assert meta["rows_loaded"] == meta["rows_upserted_new"] == 1234
    assert meta["rows_duplicate"] == 0
    assert loaded_ids(database, day) == truth(fresh, day)


def test_ties_at_page_edges_lose_and_repeat_nothing(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=2)
    start = day_start(day) + timedelta(hours=5)
    # 2,300 rows on 4 distinct start times: every page edge falls inside a tie.
    fresh.inject(
        [observation(f"tie-{i:05d}", start + timedelta(seconds=i % 4)) for i in range(2300)]
    )
    result = materialize(fresh, tmp_path / "w.duckdb", day, page_limit=333)
    assert result.success
    assert metadata(result)["rows_duplicate"] == 0
    assert loaded_ids(tmp_path / "w.duckdb", day) == truth(fresh, day)
    assert metadata(result)["api_requests"] == math.ceil(2300 / 333)


def test_rerun_is_idempotent_and_reads_less_than_a_full_refresh(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=3)
    database = tmp_path / "w.duckdb"
    fresh.inject(spread_over(day, 3500, "rerun"))
    full = metadata(materialize(fresh, database, day))
    again = metadata(materialize(fresh, database, day))
    refreshed = metadata(materialize(fresh, database, day, full_refresh=True))
    assert (full["mode"], again["mode"], refreshed["mode"]) == ("full", "incremental", "full")
    assert again["api_requests"] < full["api_requests"] == refreshed["api_requests"] == 4
    assert again["rows_upserted_new"] == refreshed["rows_upserted_new"] == 0
    assert again["rows_loaded"] < 500  # only [latest start - 2 h, end of day)
    assert loaded_ids(database, day) == truth(fresh, day)
    count, distinct = query(
        database,
        "select count(*), count(distinct id) from raw_generations where partition_date = ?",
        [day],
    )[0]
    assert count == distinct == 3500


def test_late_generation_is_picked_up_by_the_next_run(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=4)
    database = tmp_path / "w.duckdb"
    fresh.inject(spread_over(day, 50, "early"))
    assert materialize(fresh, database, day).success
    latest = max(row[0] for row in query(database, "select start_time from raw_generations"))
    fresh.set_knobs(visibility_delay_s=1.5)
    fresh.inject([observation("late-one", latest - timedelta(minutes=30))])
    fresh.set_knobs(visibility_delay_s=0)
    before = metadata(materialize(fresh, database, day))
    assert "late-one" in truth(fresh, day)  # the server has it ...
    assert before["rows_upserted_new"] == 0  # ... but it was not readable yet

    def visible() -> bool:
        window = {"fromStartTime": f"{day}T00:00:00Z", "toStartTime": f"{day}T23:59:59Z"}
        with fresh.api() as api:
            page = api.get("/api/public/v2/observations", params={**window, "limit": 100})
        return any(row["id"] == "late-one" for row in page.json()["data"])

    wait_until(visible, "the late generation to become readable")
    after = metadata(materialize(fresh, database, day))
    assert after["mode"] == "incremental"
    assert after["rows_upserted_new"] == 1
    assert loaded_ids(database, day) == truth(fresh, day)


def test_interrupted_load_resumes_from_its_checkpoint(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=5)
    database = tmp_path / "w.duckdb"
    fresh.inject(spread_over(day, 5000, "resume"))
    crashed = materialize(fresh, database, day, stop_after_pages=2, batch_pages=1)
    assert not crashed.success
    status, cursor, pages = query(
        database,
        "select status, last_cursor, pages from ingest_state where partition_date = ?",
        [day],
    )[0]
    assert (status, pages) == ("failed", 2) and cursor
    assert len(loaded_ids(database, day)) == 2000
    fresh.reset_stats()
    resumed = metadata(materialize(fresh, database, day))
    assert resumed["mode"] == "resumed"
    assert resumed["api_requests"] == read_requests(fresh) == 3  # not 5: pages 1-2 are kept
    assert loaded_ids(database, day) == truth(fresh, day)
    assert query(database, "select status from ingest_state where partition_date = ?", [day]) == [
        ("complete",)
    ]


def test_faults_during_a_load_are_retried_and_lose_nothing(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=6)
    fresh.inject(spread_over(day, 3000, "faults"))
    faults = [
        {"status": 500},
        {"kind": "drop"},
        {"kind": "truncate"},
        {"kind": "invalid_json"},
        {"status": 429, "retry_after": 1},
    ]
    fresh.set_knobs(fail_next=faults)
    result = materialize(fresh, tmp_path / "w.duckdb", day)
    assert result.success
    meta = metadata(result)
    assert meta["retries"] == len(faults)
    assert meta["retry_wait_s"] >= 1.0
    assert meta["api_requests"] == 3 + len(faults)
    assert loaded_ids(tmp_path / "w.duckdb", day) == truth(fresh, day)


def test_hostile_rows_are_counted_and_kept_aside(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=7)
    start = day_start(day) + timedelta(hours=8)
    hostile = [
        observation("neg", start, usageDetails={"input": -3}),
        observation("float", start, usageDetails={"output": 1.5}),
        observation("text", start, usageDetails={"input": "12"}),
        observation("huge", start, usageDetails={"input": 10**15}),
        observation("bad-cost", start, costDetails={"total": "lots"}),
        # Listed inside the window although its own startTime is two days later.
        observation("outside", start + timedelta(days=2), _listStartTime=f"{day}T08:00:00Z"),
    ]
    odd = [
        observation("meta-string", start, metadata="a string"),
        observation("meta-null", start, metadata=None),
        observation("meta-big", start, metadata={"feature": "x" * 10_000, "n": {"a": [1]}}),
        observation("names", start, metadata={"feature": "q\"u'o\nte 🚀; drop table x;--"}),
        observation("unknown-model", start, model="no-such-model-anywhere"),
        observation("no-usage", start, usageDetails=None, costDetails=None),
    ]
    fresh.inject(hostile + odd, truncate_metadata=False)
    result = materialize(fresh, tmp_path / "w.duckdb", day)
    assert result.success
    meta = metadata(result)
    assert meta["rows_rejected"] == len(hostile)
    assert loaded_ids(tmp_path / "w.duckdb", day) == sorted(row["id"] for row in odd)
    rejected = dict(query(tmp_path / "w.duckdb", "select id, reason from rejected_generations"))
    assert set(rejected) == {row["id"] for row in hostile}
    assert "outside the requested window" in rejected["outside"]
    assert "usageDetails.input" in rejected["text"]
    (names,) = query(
        tmp_path / "w.duckdb", "select metadata from raw_generations where id = 'names'"
    )[0]
    assert orjson.loads(names)["feature"] == "q\"u'o\nte 🚀; drop table x;--"


def test_wrong_secret_names_the_variable_and_leaks_nothing(fresh, tmp_path):
    wrong = "sk-lf-wrong-secret-value-0000"
    database = tmp_path / "w.duckdb"
    result = materialize(fresh, database, BASE_DAY, secret=wrong)
    assert not result.success
    failure = result.all_events
    text = "\n".join(str(event) for event in failure)
    assert "LANGFUSE_SECRET_KEY" in text and "LANGFUSE_BASE_URL" in text
    assert wrong not in text
    assert "wrong-secret-value" not in text
    stored = query(database, "select coalesce(error, '') from ingest_state") + query(
        database, "select coalesce(error, '') from ingest_runs"
    )
    assert stored and all(wrong not in row[0] for row in stored)
    assert "LANGFUSE_SECRET_KEY" in stored[0][0]
    refused = fresh.stats()["requests"]["GET /api/public/v2/observations"]
    assert refused == {"401": 1}  # refused at once, not retried


def test_sub_windows_fetched_in_parallel_load_each_row_once(fresh, tmp_path):
    day = BASE_DAY - timedelta(days=8)
    fresh.inject(spread_over(day, 2500, "windows"))
    result = materialize(fresh, tmp_path / "w.duckdb", day, sub_windows=4, max_concurrency=2)
    assert result.success
    assert metadata(result)["rows_loaded"] == 2500
    assert loaded_ids(tmp_path / "w.duckdb", day) == truth(fresh, day)
    windows = query(tmp_path / "w.duckdb", "select status from ingest_windows")
    assert windows == [("complete",)] * 4


def test_range_run_loads_each_day_of_the_range(fresh, tmp_path):
    first, second = BASE_DAY - timedelta(days=10), BASE_DAY - timedelta(days=9)
    fresh.inject(spread_over(first, 120, "range-a") + spread_over(second, 80, "range-b"))
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": second.isoformat(),
    }
    result = materialize(fresh, tmp_path / "w.duckdb", first, tags=tags)
    assert result.success
    assert metadata(result)["rows_loaded"] == 200
    assert len(result.asset_materializations_for_node("raw_generations")) == 2
    observations = [
        event.event_specific_data.asset_observation
        for event in result.all_events
        if event.event_type_value == "ASSET_OBSERVATION"
    ]
    per_day = {obs.partition: obs.metadata["rows_loaded"].value for obs in observations}
    assert per_day == {first.isoformat(): 120, second.isoformat(): 80}
    assert loaded_ids(tmp_path / "w.duckdb", first) == truth(fresh, first)
    assert loaded_ids(tmp_path / "w.duckdb", second) == truth(fresh, second)
