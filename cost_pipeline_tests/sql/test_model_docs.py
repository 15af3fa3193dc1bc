"""The column docs in schema.yml describe exactly the columns the models produce."""

from datetime import date

import duckdb

from cost_pipeline.sql.project import load_project
from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)


def test_documented_columns_and_types_match_the_tables():
    con = duckdb.connect()
    create_contract_tables(con)
    insert_generations(con, [Generation(date(2026, 1, 5))])
    run_models(con, date(2026, 1, 5))
    for model in load_project().models:
        actual = [
            (name, data_type.lower().replace(" ", ""))
            for name, data_type in con.execute(
                "select column_name, data_type from duckdb_columns() where table_name = ? "
                "order by column_index",
                [model.name],
            ).fetchall()
        ]
        documented = [(c.name, c.data_type.lower().replace(" ", "")) for c in model.columns]
        assert documented == actual, model.name
