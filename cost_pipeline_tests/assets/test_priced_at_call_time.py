"""A generation without a Langfuse cost is priced at genai-prices' rates of its own start time:
the day's (a price that changed from a date on) and the time of day's (off-peak prices), also
for days loaded before their rates were written (the SQL model assets price their window)."""

from datetime import UTC, date, timedelta

import dagster as dg
import duckdb
from genai_prices import Usage

from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.price_history import (
    genai_price,
    model_with_price_change,
    model_with_time_of_day_prices,
)
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)
from cost_pipeline_tests.warehouse.older_schema import apply_first_migrations

TOKENS = {"uncached_input_tokens": 1_000, "visible_output_tokens": 1_000}
USAGE = Usage(input_tokens=1_000, output_tokens=1_000)


def stg_rows(warehouse: WarehouseResource, day: date) -> list[tuple]:
    result = dg.materialize(
        sql_model_assets, partition_key=day.isoformat(), resources={"warehouse": warehouse}
    )
    assert result.success
    with warehouse.get_connection() as con:
        return con.execute(
            "select model, start_time, cost_source, cost_usd from stg_generations "
            "where partition_date = ?",
            [day],
        ).fetchall()


def test_each_call_costs_what_genai_prices_charged_when_it_started(tmp_path):
    changed_model, change = model_with_price_change()
    hourly_model = model_with_time_of_day_prices()
    days = [change - timedelta(days=1), change]
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_generations(
            con,
            [
                *(Generation(day, model=changed_model, minute=720, **TOKENS) for day in days),
                # Every hour of one day: the time-of-day prices change within it.
                *(
                    Generation(days[1], model=hourly_model, minute=60 * hour + 15, **TOKENS)
                    for hour in range(24)
                ),
            ],
        )
        # No rates yet: as for a day loaded before the rates were kept per day.
        assert con.execute("select count(*) from model_prices").fetchone() == (0,)
    warehouse = WarehouseResource(database=str(database))
    costs: dict[str, set] = {changed_model: set(), hourly_model: set()}
    for day in days:
        rows = stg_rows(warehouse, day)
        assert len(rows) == (1 if day == days[0] else 25)
        for model, start, source, cost in rows:
            assert source == "genai_prices"
            assert cost == genai_price(model, start.replace(tzinfo=UTC), USAGE), (model, start)
            costs[model].add(cost)
    # The day before the change and the day of it cost differently, as do hours of one day.
    assert len(costs[changed_model]) == 2
    assert len(costs[hourly_model]) >= 2


def test_the_models_migrate_a_warehouse_they_meet_before_any_load(tmp_path):
    # A warehouse of the version before rates per day (migrations 1-4), whose next run after an
    # upgrade builds the models before loading anything.
    model, change = model_with_price_change()
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        apply_first_migrations(con, 4)
        insert_generations(con, [Generation(change, model=model, minute=720, **TOKENS)])
    [(row_model, start, source, cost)] = stg_rows(WarehouseResource(database=str(database)), change)
    assert (row_model, source) == (model, "genai_prices")
    assert cost == genai_price(model, start.replace(tzinfo=UTC), USAGE)
