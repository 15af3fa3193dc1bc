"""spend_export: per-day CSV + Parquet readable by DuckDB and pandas, formula cells neutralised."""

import csv
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from cost_pipeline.assets import export
from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    Rates,
    create_contract_tables,
    insert_generations,
    insert_rates,
)

README = Path(__file__).resolve().parents[2] / "README.md"
DAY = date(2026, 8, 14)
RATES = Rates(*(Decimal("0.000001") for _ in range(6)))
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]
# A name's leading tab or carriage return is trimmed with the other blanks before the export
# (stg_generations), so no mart value starts with one; the neutraliser's own test covers them.
BLANK_LED = {"\tTAB": "TAB", "\rCR": "CR"}


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    export_dir = tmp_path / "exports"
    monkeypatch.setenv("COST_PIPELINE_EXPORT_DIR", str(export_dir))
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_rates(con, "gpt-4o-mini", RATES)
    return WarehouseResource(database=str(database))


def materialize(warehouse, partition: str = DAY.isoformat()):
    result = dg.materialize(
        [*sql_model_assets, spend_export],
        partition_key=partition,
        resources={"warehouse": warehouse},
    )
    assert result.success
    return result.asset_materializations_for_node("spend_export")[0].metadata


def export_failure(warehouse) -> str:
    """The error of spend_export alone for DAY, which must fail."""
    result = dg.materialize(
        [spend_export],
        partition_key=DAY.isoformat(),
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )
    assert not result.success
    # Stale before the run began: waiting cannot change that, so it fails without a retry.
    assert "STEP_UP_FOR_RETRY" not in {e.event_type_value for e in result.all_events}
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.step_failure_data.error.message


def day_folder(tmp_path: Path, day: date = DAY) -> Path:
    return tmp_path / "exports" / "spend_by_feature_team" / f"date={day.isoformat()}"


def test_files_are_readable_by_duckdb_and_pandas_and_match_the_mart(tmp_path, warehouse):
    with warehouse.get_connection() as con:
        insert_generations(
            con,
            [
                Generation(DAY, metadata={"feature": "search", "team": "growth"}),
                Generation(DAY, metadata={"feature": "search", "team": "growth"}),
                Generation(DAY, tags=["feature:chat", "team:core"], model="unknown-x"),
            ],
        )
    metadata = materialize(warehouse)
    folder = day_folder(tmp_path)
    csv_path, parquet_path = (
        folder / "spend_by_feature_team.csv",
        folder / "spend_by_feature_team.parquet",
    )
    assert metadata["csv_path"].value == str(csv_path)
    assert metadata["rows"].value == 2
    assert metadata["csv_bytes"].value == csv_path.stat().st_size > 0
    assert metadata["parquet_bytes"].value == parquet_path.stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == [csv_path.name, parquet_path.name]

    with warehouse.get_connection(read_only=True) as con:
        mart = con.execute(
            "select feature, team, calls, total_tokens, cost_usd, unpriced_calls "
            "from spend_by_feature_team order by feature"
        ).fetchall()
        from_parquet = con.execute(
            "select feature, team, calls, total_tokens, cost_usd, unpriced_calls "
            f"from read_parquet('{parquet_path}') order by feature"
        ).fetchall()
        from_csv = con.execute(
            "select feature, team, calls, total_tokens, unpriced_calls "
            f"from read_csv('{csv_path}') order by feature"
        ).fetchall()
        hive = con.execute(
            "select distinct date from read_parquet("
            f"'{tmp_path}/exports/spend_by_feature_team/*/*.parquet', hive_partitioning = true)"
        ).fetchall()
    assert from_parquet == mart
    assert from_csv == [row[:4] + row[5:] for row in mart]
    assert hive == [(DAY,)]
    frame = pd.read_parquet(parquet_path)
    assert list(frame["feature"]) == ["search", "chat"]  # ordered by cost, highest first
    assert frame["calls"].sum() == 3
    csv_frame = pd.read_csv(csv_path)
    assert csv_frame["total_tokens"].sum() == frame["total_tokens"].sum() == 450


def test_csv_cells_that_start_a_formula_are_neutralised_but_parquet_keeps_values(
    tmp_path, warehouse
):
    with warehouse.get_connection() as con:
        insert_generations(
            con,
            [
                Generation(DAY, metadata={"feature": f, "team": "-negative-team"})
                for f in [*HOSTILE, *BLANK_LED]
            ]
            + [Generation(DAY, metadata={"feature": "plain", "team": "ok"})],
        )
    materialize(warehouse)
    folder = day_folder(tmp_path)
    with (folder / "spend_by_feature_team.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = {row["feature"] for row in rows}
    assert features == {"'" + f for f in HOSTILE} | {"plain", *BLANK_LED.values()}
    assert {row["team"] for row in rows} == {"'-negative-team", "ok"}
    assert all(not row["calls"].startswith("'") for row in rows)
    parquet = pd.read_parquet(folder / "spend_by_feature_team.parquet")
    assert set(parquet["feature"]) == set(HOSTILE) | {"plain", *BLANK_LED.values()}
    assert set(parquet["team"]) == {"-negative-team", "ok"}


def test_a_day_without_spend_gets_header_only_files(tmp_path, warehouse):
    materialize(warehouse)
    folder = day_folder(tmp_path)
    lines = (folder / "spend_by_feature_team.csv").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("date,feature,team,calls")
    frame = pd.read_parquet(folder / "spend_by_feature_team.parquet")
    assert len(frame) == 0 and "cost_usd" in frame.columns


def test_rerun_overwrites_the_day_in_place(tmp_path, warehouse):
    with warehouse.get_connection() as con:
        insert_generations(con, [Generation(DAY, metadata={"feature": "a", "team": "b"})])
    materialize(warehouse)
    with warehouse.get_connection() as con:
        insert_generations(con, [Generation(DAY, metadata={"feature": "c", "team": "b"})])
    materialize(warehouse)
    folder = day_folder(tmp_path)
    assert len(list(folder.iterdir())) == 2
    assert set(pd.read_parquet(folder / "spend_by_feature_team.parquet")["feature"]) == {"a", "c"}


def store_two_days(warehouse) -> date:
    """A generation of feature a on DAY and one of feature c on a later day; returns that day."""
    later = date(2026, 8, 15)
    with warehouse.get_connection() as con:
        insert_generations(
            con,
            [
                Generation(DAY, metadata={"feature": "a", "team": "b"}),
                Generation(later, metadata={"feature": "c", "team": "b"}),
            ],
        )
    return later


def readme_readers() -> tuple[str, str]:
    """The README's SQL over the exports, and its pandas block (the one that reads Parquet)."""
    text = README.read_text()
    (sql,) = re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
        if "read_parquet" in block
    ]
    return sql.strip().rstrip(";"), code


def test_several_days_read_back_with_the_readme_queries(tmp_path, warehouse, monkeypatch):
    """The README's multi-day readers, as written: DuckDB's glob, and pandas over the Parquet
    files (the CSV beside each one, and `date` both in the file and the folder name, trip a
    plain ``pd.read_parquet`` of the folder)."""
    second = store_two_days(warehouse)
    materialize(warehouse)
    materialize(warehouse, second.isoformat())
    # The README reads the default location, ./.cost_pipeline/exports.
    project = tmp_path / "project"
    (project / ".cost_pipeline").mkdir(parents=True)
    (project / ".cost_pipeline" / "exports").symlink_to(tmp_path / "exports")
    monkeypatch.chdir(project)
    sql, pandas_code = readme_readers()
    with duckdb.connect() as con:
        from_glob = con.execute(f"select date, feature from ({sql}) order by date").fetchall()
    assert from_glob == [(DAY, "a"), (second, "c")]
    namespace: dict = {}
    exec(pandas_code, namespace)
    frame = namespace["spend"].sort_values("date")
    assert [(row.date, row.feature) for row in frame.itertuples()] == [(DAY, "a"), (second, "c")]


def test_a_day_the_mart_was_not_built_for_is_not_exported_as_empty(tmp_path, warehouse):
    later = store_two_days(warehouse)
    materialize(warehouse, later.isoformat())
    message = export_failure(warehouse)
    assert f"{DAY} (0 calls counted, 1 generations stored)" in message
    assert "Materialize stg_generations and spend_by_feature_team" in message
    assert not day_folder(tmp_path).exists()


def test_a_day_loaded_again_after_its_mart_was_built_is_not_exported_stale(tmp_path, warehouse):
    with warehouse.get_connection() as con:
        insert_generations(con, [Generation(DAY, metadata={"feature": "a", "team": "b"})])
    materialize(warehouse)
    before = (day_folder(tmp_path) / "spend_by_feature_team.csv").read_bytes()
    with warehouse.get_connection() as con:  # a later load adds a generation
        insert_generations(con, [Generation(DAY, metadata={"feature": "c", "team": "b"})])
    assert f"{DAY} (1 calls counted, 2 generations stored)" in export_failure(warehouse)
    assert (day_folder(tmp_path) / "spend_by_feature_team.csv").read_bytes() == before
    assert materialize(warehouse)["rows"].value == 2  # models first, then the export: fine


def reload_with_more_tokens(warehouse, generation: Generation) -> None:
    """What a later load does to a generation Langfuse updated: its copy replaced by a newer one,
    so the day keeps its number of rows."""
    newer = replace(generation, visible_output_tokens=5_000, loaded_at=datetime(2030, 1, 2))
    with warehouse.get_connection() as con:
        con.execute("delete from raw_generations where id = ?", [generation.id])
        insert_generations(con, [newer])


def exported_cost(tmp_path) -> Decimal:
    csv_path = day_folder(tmp_path) / "spend_by_feature_team.csv"
    with duckdb.connect() as con:
        return con.execute(f"select sum(cost_usd) from read_csv('{csv_path}')").fetchone()[0]


def exported_then_reloaded(tmp_path, warehouse) -> bytes:
    """DAY's one generation exported, then loaded again with more tokens; the CSV exported."""
    generation = Generation(DAY, metadata={"feature": "a", "team": "b"})
    with warehouse.get_connection() as con:
        insert_generations(con, [generation])
    materialize(warehouse)
    before = (day_folder(tmp_path) / "spend_by_feature_team.csv").read_bytes()
    reload_with_more_tokens(warehouse, generation)
    return before


def test_a_day_reloaded_with_as_many_rows_is_not_exported_stale(tmp_path, warehouse):
    before = exported_then_reloaded(tmp_path, warehouse)
    message = export_failure(warehouse)
    assert f"{DAY} (loaded again since it was built; 1 generations)" in message
    assert (day_folder(tmp_path) / "spend_by_feature_team.csv").read_bytes() == before
    cost_before = exported_cost(tmp_path)
    materialize(warehouse)  # models first, then the export: the new cost is published
    assert exported_cost(tmp_path) > cost_before


def test_a_day_another_run_loaded_after_this_run_built_it_is_retried_then_fails_clearly(
    tmp_path, warehouse, monkeypatch
):
    """Two runs over one day at once: B loads it again between A's build and A's export. B
    builds it again, so A's export is retried (its step released meanwhile), and fails with the
    usual message only when that never happens."""
    before = exported_then_reloaded(tmp_path, warehouse)
    with warehouse.get_connection() as con:  # as if the run below had built the day itself
        later = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
        con.execute("update model_builds set built_at = ?", [later])
    monkeypatch.setattr(export, "RELOADED_RETRY_FIRST_WAIT_S", 0.01)
    monkeypatch.setattr(export, "RELOADED_RETRIES", 2)
    result = dg.materialize(
        [spend_export],
        partition_key=DAY.isoformat(),
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )
    events = [e.event_type_value for e in result.all_events]
    assert events.count("STEP_UP_FOR_RETRY") == 2 and not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert f"{DAY} (loaded again since it was built; 1 generations)" in str(
        failure.step_failure_data.error
    )
    assert (day_folder(tmp_path) / "spend_by_feature_team.csv").read_bytes() == before


def test_a_mart_built_before_builds_were_recorded_is_checked_by_its_counts(tmp_path, warehouse):
    generation = Generation(DAY, metadata={"feature": "a", "team": "b"})
    with warehouse.get_connection() as con:
        insert_generations(con, [generation])
    materialize(warehouse)
    with warehouse.get_connection() as con:  # as a warehouse built by an older version
        con.execute("delete from model_builds")
    reload_with_more_tokens(warehouse, generation)
    result = dg.materialize(
        [spend_export], partition_key=DAY.isoformat(), resources={"warehouse": warehouse}
    )
    assert result.success  # the counts agree; the rebuild-free upgrade keeps exporting
    with warehouse.get_connection() as con:
        insert_generations(con, [Generation(DAY, metadata={"feature": "c", "team": "b"})])
    assert f"{DAY} (1 calls counted, 2 generations stored)" in export_failure(warehouse)


def test_only_table_models_record_what_they_were_built_from(warehouse):
    with warehouse.get_connection() as con:
        insert_generations(con, [Generation(DAY, metadata={"feature": "a", "team": "b"})])
    materialize(warehouse)
    with warehouse.get_connection() as con:
        builds = con.execute(
            "select model, partition_date, generations, newest_loaded_at from model_builds"
        ).fetchall()
    assert builds == [("spend_by_feature_team", DAY, 1, datetime(2030, 1, 1))]
