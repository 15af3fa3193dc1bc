"""A generation without a Langfuse cost is priced at the tier its input size puts it in: models
with long-context prices charge every token of a call at a higher rate once its input tokens
(cache reads and writes included, as genai-prices counts them) pass a threshold."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import duckdb
from genai_prices import Usage

from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.price_history import genai_price, model_with_input_tiers
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

DAY = date(2026, 11, 20)


def test_a_long_context_call_costs_its_tier_not_the_base_rates(tmp_path):
    model, threshold = model_with_input_tiers()
    calls = {
        "small": Generation(DAY, model=model, uncached_input_tokens=1_000),
        "at threshold": Generation(DAY, model=model, uncached_input_tokens=threshold),
        "above threshold": Generation(DAY, model=model, uncached_input_tokens=threshold + 1),
        # Uncached input alone is below the threshold; with the cache reads it is above.
        "above with cache": Generation(
            DAY, model=model, uncached_input_tokens=1_000, cache_read_tokens=threshold
        ),
    }
    for minute, generation in enumerate(calls.values()):
        generation.minute = minute
        generation.visible_output_tokens = 2_000
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_generations(con, list(calls.values()))
    warehouse = WarehouseResource(database=str(database))
    result = dg.materialize(
        sql_model_assets, partition_key=DAY.isoformat(), resources={"warehouse": warehouse}
    )
    assert result.success

    with warehouse.get_connection() as con:
        stg = {
            row[0]: row[1:]
            for row in con.execute(
                "select generation_id, cost_source, cost_usd from stg_generations"
            ).fetchall()
        }
        mart_cost = con.execute(
            "select sum(cost_usd) from spend_by_feature_team where date = ?", [DAY]
        ).fetchone()[0]
    expected = {}
    for name, generation in calls.items():
        start = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(
            minutes=generation.minute
        )
        usage = Usage(
            input_tokens=generation.uncached_input_tokens + generation.cache_read_tokens,
            cache_read_tokens=generation.cache_read_tokens,
            output_tokens=generation.visible_output_tokens,
        )
        expected[name] = genai_price(model, start, usage)
        assert stg[generation.id] == ("genai_prices", expected[name]), (name, model, threshold)
    assert mart_cost == sum(expected.values())
    # The calls above the threshold are the ones whose rates differ.
    assert expected["above threshold"] / (threshold + 1) > expected["at threshold"] / threshold


def test_the_price_lookup_stays_a_hash_join(tmp_path):
    """A tier bound written as ``is null or ...`` in the join made DuckDB join every generation
    with every price row in a nested loop: the 10M-row chain took +10 CPU-s (BENCHMARKS.md)."""
    model, threshold = model_with_input_tiers()
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_generations(con, [Generation(DAY, model=model, uncached_input_tokens=threshold)])
    warehouse = WarehouseResource(database=str(database))
    assert dg.materialize(
        sql_model_assets, partition_key=DAY.isoformat(), resources={"warehouse": warehouse}
    ).success
    with warehouse.get_connection() as con:
        plan = con.execute("explain select sum(cost_usd) from stg_generations").fetchall()[0][1]
    assert "HASH_JOIN" in plan
    assert "NL_JOIN" not in plan  # BLOCKWISE_NL_JOIN, NESTED_LOOP_JOIN
