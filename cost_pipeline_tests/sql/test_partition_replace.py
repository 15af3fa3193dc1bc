"""Re-materialising day D replaces exactly D's rows, in one transaction."""

import shutil
from datetime import date, timedelta

import duckdb
import pytest

from cost_pipeline.sql.project import DEFAULT_ROOT
from cost_pipeline.sql.replace import ModelRunError
from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

D = date(2026, 7, 2)
NEXT = D + timedelta(days=1)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_contract_tables(connection)
    yield connection
    connection.close()


def snapshot(con, table: str, column: str, day: date) -> list[tuple]:
    return con.execute(f"select * from {table} where {column} = ? order by all", [day]).fetchall()


def project_with_staging_as(root, materialized: str):
    """The shipped models, with stg_generations materialised as ``materialized`` (a table
    reads only its window, like any table model)."""
    shutil.copytree(DEFAULT_ROOT, root)
    staging = root / "staging" / "stg_generations.sql"
    text = staging.read_text()
    if materialized == "table":
        raw = "select * from {{ source('langfuse', 'raw_generations') }}"
        assert raw in text
        text = text.replace("materialized='view'", "materialized='table'").replace(
            raw,
            f"{raw} where partition_date >= {{{{ partition_start }}}} "
            "and partition_date < {{ partition_end }}",
        )
    staging.write_text(text)
    return root


@pytest.mark.parametrize("staging", ["view", "table"])
def test_rerun_of_a_day_replaces_only_that_day_and_is_idempotent(con, tmp_path, staging):
    root = project_with_staging_as(tmp_path / "sql", staging)
    insert_generations(con, [Generation(D, metadata={"feature": "a"}) for _ in range(3)])
    insert_generations(con, [Generation(NEXT, metadata={"feature": "b"}) for _ in range(2)])
    run_models(con, D, root=root)
    run_models(con, NEXT, root=root)
    next_day_before = snapshot(con, "spend_by_feature_team", "date", NEXT)

    # Late data for D: one more generation, one moved to another feature.
    insert_generations(con, [Generation(D, metadata={"feature": "late"})])
    first = run_models(con, D, root=root)
    again = run_models(con, D, root=root)

    assert first["stg_generations"].materialized == staging
    assert first["stg_generations"].rows_written == 4
    if staging == "table":
        assert first["stg_generations"].rows_replaced == 3
        assert again["stg_generations"].rows_replaced == 4  # idempotent: replaced, not appended
    else:  # a view stores no rows: it reads raw_generations, D's late row included
        assert again["stg_generations"].rows_replaced == 0
    assert first["spend_by_feature_team"].rows_replaced == 1
    assert again["spend_by_feature_team"].rows_replaced == 2
    assert con.execute("select count(*) from stg_generations").fetchone() == (6,)
    calls = dict(
        con.execute(
            "select feature, calls from spend_by_feature_team where date = ?", [D]
        ).fetchall()
    )
    assert calls == {"a": 3, "late": 1}
    assert snapshot(con, "spend_by_feature_team", "date", NEXT) == next_day_before


def test_staging_switches_between_view_and_table_without_losing_a_row(con, tmp_path):
    insert_generations(con, [Generation(D, metadata={"feature": "a"}) for _ in range(3)])
    as_table = project_with_staging_as(tmp_path / "table", "table")
    run_models(con, D, root=as_table)  # a warehouse from before staging became a view
    assert con.execute(
        "select table_name from duckdb_tables() where table_name = 'stg_generations'"
    ).fetchall() == [("stg_generations",)]

    results = run_models(con, D)  # the shipped view replaces the table

    assert results["stg_generations"].materialized == "view"
    assert con.execute(
        "select view_name from duckdb_views() where view_name = 'stg_generations'"
    ).fetchall() == [("stg_generations",)]
    assert con.execute("select count(*) from stg_generations").fetchone() == (3,)
    back = run_models(con, D, root=as_table)  # and back: the view gives way to a table again
    assert back["stg_generations"].rows_written == 3
    assert con.execute(
        "select count(*) from duckdb_views() where view_name = 'stg_generations'"
    ).fetchone() == (0,)


def test_a_day_that_lost_all_rows_is_emptied(con):
    insert_generations(con, [Generation(D)])
    run_models(con, D)
    con.execute("delete from raw_generations")
    results = run_models(con, D)
    assert results["spend_by_feature_team"].rows_replaced == 1
    assert con.execute("select count(*) from spend_by_feature_team").fetchone() == (0,)


def test_model_rows_outside_the_window_fail_and_roll_back(con, tmp_path):
    root = tmp_path / "sql"
    shutil.copytree(DEFAULT_ROOT, root)
    insert_generations(con, [Generation(D)])
    run_models(con, D, root=root)
    before = snapshot(con, "spend_by_feature_team", "date", D)
    mart = root / "marts" / "spend_by_feature_team.sql"
    mart.write_text(
        mart.read_text().replace("partition_date as date,", "partition_date + 1 as date,")
    )

    with pytest.raises(ModelRunError, match="outside"):
        run_models(con, D, root=root)

    assert snapshot(con, "spend_by_feature_team", "date", D) == before
    assert snapshot(con, "spend_by_feature_team", "date", NEXT) == []


def test_new_columns_are_added_and_changed_types_are_refused(con, tmp_path):
    root = tmp_path / "sql"
    shutil.copytree(DEFAULT_ROOT, root)
    insert_generations(con, [Generation(D)])
    run_models(con, D, root=root)
    mart = root / "marts" / "spend_by_feature_team.sql"
    original = mart.read_text()

    mart.write_text(original.replace("count(*) as calls,", "count(*) as calls, 42 as answer,"))
    run_models(con, D, root=root)
    assert con.execute("select answer from spend_by_feature_team").fetchall() == [(42,)]

    mart.write_text(original.replace("count(*) as calls,", "count(*)::varchar as calls,"))
    with pytest.raises(ModelRunError, match="changed type"):
        run_models(con, D, root=root)
    assert con.execute("select calls from spend_by_feature_team").fetchall() == [(1,)]
