"""One Dagster asset per .sql file, lineage from ref()/source(); a new file is a new asset."""

import shutil

import dagster as dg
import duckdb

from cost_pipeline.partitions import daily_partitions
from cost_pipeline.sql.factory import build_sql_assets
from cost_pipeline.sql.project import DEFAULT_ROOT
from cost_pipeline.warehouse.resource import WRITER_POOL, WarehouseResource
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

NEW_MART = """
{{ config(partition_by='date') }}
-- Spend per user: added by dropping this file in marts/, no Python change.
with generations as (
    select * from {{ ref('stg_generations') }}
    where partition_date >= {{ partition_start }} and partition_date < {{ partition_end }}
)
select partition_date as date, user_id, count(*) as calls, sum(cost_usd) as cost_usd
from generations group by all
"""


def asset_graph(assets):
    return dg.Definitions(
        assets=assets, resources={"warehouse": WarehouseResource(database=":memory:")}
    ).resolve_asset_graph()


def test_shipped_models_become_partitioned_pooled_assets_with_lineage():
    assets = build_sql_assets()
    graph = asset_graph(assets)
    stg, mart = dg.AssetKey("stg_generations"), dg.AssetKey("spend_by_feature_team")
    assert graph.get(stg).parent_keys == {dg.AssetKey("raw_generations")}
    assert graph.get(mart).parent_keys == {stg}
    for asset in assets:
        assert asset.partitions_def == daily_partitions
        assert asset.op.pool == WRITER_POOL
        assert "warehouse" in asset.required_resource_keys
    schema = graph.get(mart).metadata["dagster/column_schema"]
    assert "cost_usd" in {column.name for column in schema.columns}


def test_a_new_sql_file_adds_an_asset_that_materializes(tmp_path):
    root = tmp_path / "sql"
    shutil.copytree(DEFAULT_ROOT, root)
    (root / "marts" / "spend_by_user.sql").write_text(NEW_MART)

    assets = build_sql_assets(root)

    keys = {key for asset in assets for key in asset.keys}
    assert dg.AssetKey("spend_by_user") in keys
    graph = asset_graph(assets)
    assert graph.get(dg.AssetKey("spend_by_user")).parent_keys == {dg.AssetKey("stg_generations")}

    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        day = daily_partitions.get_first_partition_window().start.date()
        insert_generations(con, [Generation(day, user_id="ann"), Generation(day, user_id="ann")])
    result = dg.materialize(
        assets,
        partition_key=day.isoformat(),
        resources={"warehouse": WarehouseResource(database=str(database))},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("spend_by_user")[0].metadata
    assert metadata["rows_written"].value == 1
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select user_id, calls from spend_by_user").fetchall() == [("ann", 2)]


# A view model whose cost column raises when evaluated: a run may count its rows, never more.
TRAPPED_VIEW = """
{{ config(materialized='MATERIALIZED', partition_by='partition_date') }}
select
    partition_date,
    case when id is not null then error('cost_usd evaluated') end::decimal(38, 12) as cost_usd,
    case when id is not null then error('total_tokens evaluated') end::bigint as total_tokens
from {{ source('langfuse', 'raw_generations') }}
"""


def materialize_trapped(tmp_path, materialized: str) -> dg.ExecuteInProcessResult:
    root = tmp_path / materialized / "sql"
    shutil.copytree(DEFAULT_ROOT, root)
    model = TRAPPED_VIEW.replace("MATERIALIZED", materialized)
    (root / "staging" / "stg_trapped.sql").write_text(model)
    database = tmp_path / materialized / "w.duckdb"
    day = daily_partitions.get_first_partition_window().start.date()
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_generations(con, [Generation(day), Generation(day)])
    trapped = [a for a in build_sql_assets(root) if dg.AssetKey("stg_trapped") in a.keys]
    return dg.materialize(
        trapped,
        partition_key=day.isoformat(),
        resources={"warehouse": WarehouseResource(database=str(database))},
        raise_on_error=False,
    )


def test_a_view_models_run_counts_its_rows_without_evaluating_its_columns(tmp_path):
    """Summing a view's cost would run the whole view once more per run (stg_generations over
    10M rows: 1.6 s); the mart reading it reports those totals."""
    result = materialize_trapped(tmp_path, "view")
    assert result.success
    metadata = result.asset_materializations_for_node("stg_trapped")[0].metadata
    assert metadata["rows_written"].value == 2
    assert "total_cost_usd" not in metadata and "total_total_tokens" not in metadata
    # The same model as a table must evaluate the columns to store them: the trap is live.
    as_table = materialize_trapped(tmp_path, "table")
    assert not as_table.success
    failure = as_table.get_step_failure_events()[0].event_specific_data.error
    assert "evaluated" in str(failure.cause or failure.message)
