"""Asset checks, run by real Dagster materializations over hand-built warehouse rows.

The upstream ``raw_generations`` here is a stand-in asset that writes rows with the contract's
columns (the real loader has its own tests); the duplicate-id case drops the primary key to
model a broken loader.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from cost_pipeline.assets.checks import spend_checks
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.partitions import daily_asset
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    Rates,
    create_contract_tables,
    insert_generations,
    insert_rates,
)

DAY = date(2026, 9, 3)
PRICED = "gpt-priced"


def run_chain(
    tmp_path, rows: list[Generation], last_day: date = DAY, range_run: bool | None = None
):
    """The chain with its checks for DAY, or as one run over DAY..last_day (a backfill).

    A backfill of one day from the UI is a range run too (range tags from DAY to DAY)."""
    range_run = last_day != DAY if range_run is None else range_run
    tmp_path.mkdir(parents=True, exist_ok=True)
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)  # raw_generations has no primary key (migration 002)
        insert_rates(con, PRICED, Rates(*(Decimal("0.000001") for _ in range(6))))

    @daily_asset(name="raw_generations")
    def stand_in_raw_generations(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            insert_generations(con, rows)

    result = dg.materialize(
        [stand_in_raw_generations, *sql_model_assets, *spend_checks],
        partition_key=None if range_run else DAY.isoformat(),
        tags={}
        if not range_run
        else {
            "dagster/asset_partition_range_start": DAY.isoformat(),
            "dagster/asset_partition_range_end": last_day.isoformat(),
        },
        resources={"warehouse": WarehouseResource(database=str(database))},
        raise_on_error=False,
    )
    return result, {e.check_name: e for e in result.get_asset_check_evaluations()}


def attributed(n: int, model: str = PRICED, day: date = DAY) -> list[Generation]:
    return [Generation(day, model=model, metadata={"feature": "f", "team": "t"}) for _ in range(n)]


def test_clean_day_passes_every_check(tmp_path):
    result, checks = run_chain(tmp_path, attributed(3))
    assert result.success
    assert set(checks) == {"unique_ids", "unattributed_share", "unpriced_calls"}
    assert all(check.passed for check in checks.values())
    assert checks["unique_ids"].metadata["rows"].value == 3


def test_duplicate_ids_fail_with_error_and_block_the_models(tmp_path):
    rows = attributed(2)
    rows.append(Generation(DAY, id=rows[0].id, model=PRICED))
    _, checks = run_chain(tmp_path, rows)
    check = checks["unique_ids"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["duplicated_ids"].value == 1
    assert rows[0].id in check.metadata["sample_duplicates"].value
    assert "unpriced_calls" not in checks  # the blocked mart never ran, nor its checks


def test_an_id_also_stored_under_the_next_day_fails_the_check(tmp_path):
    rows = attributed(2)
    rows.append(Generation(DAY + timedelta(days=1), id=rows[0].id, model=PRICED))
    rows.append(Generation(DAY + timedelta(days=2), id=rows[1].id, model=PRICED))  # too far
    _, checks = run_chain(tmp_path, rows)
    check = checks["unique_ids"]
    assert not check.passed
    assert check.metadata["duplicated_ids"].value == 0
    assert check.metadata["ids_also_on_neighbouring_days"].value == 1
    assert check.metadata["sample_duplicates"].value == rows[0].id


def test_unattributed_share_warns_above_threshold(tmp_path, monkeypatch):
    rows = attributed(1) + [Generation(DAY, model=PRICED) for _ in range(3)]
    _, checks = run_chain(tmp_path, rows)
    check = checks["unattributed_share"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["unattributed_share"].value == pytest.approx(0.75)
    assert check.metadata["basis"].value == "cost"

    monkeypatch.setenv("COST_PIPELINE_UNATTRIBUTED_WARN_SHARE", "0.8")
    _, checks = run_chain(tmp_path / "again", rows)
    assert checks["unattributed_share"].passed


def test_a_range_run_judges_each_day_as_a_one_day_run_would(tmp_path):
    second, third = DAY + timedelta(days=1), DAY + timedelta(days=2)
    first_rows, third_rows = attributed(8), attributed(8, day=third)
    # The second day is 3/4 unattributed: 3 of 20 calls over the range would pass (0.15).
    rows = first_rows + attributed(1, day=second)
    rows += [Generation(second, model=PRICED) for _ in range(3)]
    # An id on the first and the third day: two days apart, which one-day runs do not compare.
    rows += [*third_rows[:-1], replace(third_rows[-1], id=first_rows[0].id)]
    result, _ = run_chain(tmp_path, rows, last_day=third)
    assert result.success
    by_day = {
        (e.check_name, e.partition): e.passed
        for e in result.get_asset_check_evaluations()
        if e.partition is not None
    }
    days = [day.isoformat() for day in (DAY, second, third)]
    for name in ("unique_ids", "unattributed_share", "unpriced_calls"):
        want = {d: not (name == "unattributed_share" and d == second.isoformat()) for d in days}
        assert {d: by_day[(name, d)] for d in days} == want, name
    assert len(by_day) == 3 * len(days)
    (whole_range,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "unattributed_share" and e.partition is None
    ]
    assert not whole_range.passed
    assert whole_range.severity == dg.AssetCheckSeverity.WARN
    assert whole_range.metadata["failed"].value == second.isoformat()


def test_a_one_day_backfill_files_each_check_under_its_day(tmp_path):
    # The UI's backfill of one day is a range run from DAY to DAY. Dagster files a check
    # result returned there under no partition, and the day's own check stayed "skipped".
    rows = attributed(2) + attributed(1, model="mystery-model")
    result, _ = run_chain(tmp_path, rows, range_run=True)
    assert result.success
    by_day = {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.partition == DAY.isoformat()
    }
    assert by_day == {"unique_ids": True, "unattributed_share": True, "unpriced_calls": False}


def test_invalid_threshold_is_a_clear_error(monkeypatch):
    from cost_pipeline import settings

    monkeypatch.setenv("COST_PIPELINE_UNATTRIBUTED_WARN_SHARE", "lots")
    with pytest.raises(ValueError, match="expected a number in"):
        settings.unattributed_warn_share()


def test_unpriced_calls_warn_and_name_the_models(tmp_path):
    rows = attributed(2) + attributed(1, model="mystery-model")
    _, checks = run_chain(tmp_path, rows)
    check = checks["unpriced_calls"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["unpriced_calls"].value == 1
    assert "mystery-model" in check.metadata["unpriced_models"].value
    assert check.metadata["unpriced_by_reason"].value == {"no price": 1}


def test_unpriced_calls_say_why_each_is_unpriced(tmp_path):
    no_usage = Generation(
        DAY, model=PRICED, uncached_input_tokens=0, visible_output_tokens=0, reported_total_tokens=0
    )
    unknown_keys = Generation(DAY, model=PRICED, reported_total_tokens=900)  # classes hold 150
    rows = [*attributed(2), no_usage, replace(no_usage, id="no-usage-2"), unknown_keys]
    rows += attributed(1, model="mystery-model")
    _, checks = run_chain(tmp_path, rows)
    check = checks["unpriced_calls"]
    assert not check.passed
    assert check.metadata["unpriced_by_reason"].value == {
        "no usage": 2,
        "no price": 1,
        "unclassified usage": 1,
    }
    assert check.metadata["summary"].value == (
        "4 of 6 calls unpriced, 2 no usage, 1 no price, 1 unclassified usage"
    )


def test_unpriced_calls_warn_about_a_langfuse_cost_that_may_miss_token_classes(tmp_path):
    # Langfuse's cost priced input and output only; 30 reasoning tokens at 1e-6 are missing.
    partial = Generation(
        DAY,
        model=PRICED,
        reasoning_tokens=30,
        langfuse_total_cost=Decimal("0.00015"),
        cost_details={"input": 0.0001, "output": 0.00005, "total": 0.00015},
    )
    _, checks = run_chain(tmp_path, [*attributed(2), partial])
    check = checks["unpriced_calls"]
    assert not check.passed
    assert check.metadata["unpriced_calls"].value == 0
    assert check.metadata["partial_langfuse_cost_calls"].value == 1
    assert check.metadata["partial_langfuse_cost_gap_usd"].value == pytest.approx(0.00003)
    assert "1 with a Langfuse cost that may miss token classes" in check.metadata["summary"].value
