"""The demo's report prints names and paths as they are: rich markup in them is data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from rich.console import Console

from cost_pipeline.demo.report import print_spend, print_where_things_are
from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

DAY = date(2026, 6, 3)
# A closing tag without an opening one makes rich raise; the others would be styled away.
FEATURE, TEAM = "search[/beta]", "[bold]growth"


def test_names_and_paths_with_brackets_print_verbatim(tmp_path: Path) -> None:
    home = tmp_path / "[red]home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_contract_tables(con)
        insert_generations(con, [Generation(DAY, metadata={"feature": FEATURE, "team": TEAM})])
        run_models(con, DAY)
    exports = home / "exports"
    (exports / "spend_by_feature_team" / f"date={DAY}").mkdir(parents=True)
    console = Console(record=True, width=200)
    print_spend(console, str(warehouse), DAY, DAY)
    print_where_things_are(console, str(warehouse), exports)
    printed = console.export_text()
    assert FEATURE in printed and TEAM in printed
    assert f"(DuckDB): {warehouse}" in printed
    assert f"duckdb -readonly '{warehouse}'" in printed
    assert f"under {exports}:" in printed
