"""Property-based: feature / team names and export locations are data, whatever they contain.

Hypothesis invents names with quotes, newlines, NUL, emoji, SQL fragments and spreadsheet formula
triggers; they go through the real SQL models (stg_generations -> spend_by_feature_team) and the
real export. Parquet must hold them exactly, the CSV exactly or with the one-quote formula guard,
and an export root with the same kind of characters must be written to exactly that directory.
"""

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline.export.csv_safety import FORMULA_TRIGGERS
from cost_pipeline.export.destination import destination_for
from cost_pipeline.export.partition_files import export_partition
from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

DAY = date(2026, 6, 3)
MART = "spend_by_feature_team"
tricky = st.sampled_from(
    ["'", '"', "\n", "\r", "\t", "\x00", ";", "--", "=", "+", "-", "@", " ", "\xa0", ",", "🚀",
     "é", "drop table raw_generations", "') or 1=1 --", "$1", "{{ ref('x') }}", "\\"]
)  # fmt: skip
any_char = st.characters(exclude_categories=("Cs",))
names = st.lists(st.one_of(tricky, any_char), min_size=0, max_size=6).map("".join)
owners = st.lists(st.tuples(names, names), min_size=1, max_size=6)


# stg_generations trims what Python's str.isspace() counts, and the zero-width space and BOM.
BLANKS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\ufeff"


def attributed(value: str) -> str:
    """What stg_generations makes of a metadata value: trimmed of blanks, empty -> unattributed."""
    return value.strip(BLANKS) or "unattributed"


def guarded(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=owners)
def test_names_reach_the_mart_and_the_exports_as_data(tmp_path_factory, rows):
    root = tmp_path_factory.mktemp("names")
    with duckdb.connect() as con:
        create_contract_tables(con)
        insert_generations(
            con, [Generation(DAY, metadata={"feature": f, "team": t}) for f, t in rows]
        )
        run_models(con, DAY)
        mart = con.execute(f"select feature, team, calls from {MART}").fetchall()
        exported = export_partition(
            con, destination_for(str(root)), table=MART, day=DAY, order_by="feature, team"
        )
    expected = Counter((attributed(f), attributed(t)) for f, t in rows)
    assert {(f, t): calls for f, t, calls in mart} == expected
    assert exported.rows == len(expected)
    with duckdb.connect() as con:
        parquet = con.execute(
            "select feature, team, calls from read_parquet(?)", [exported.parquet.path]
        ).fetchall()
    assert sorted(parquet) == sorted(mart)
    with Path(exported.csv.path).open(newline="", encoding="utf-8") as handle:
        cells = {(row["feature"], row["team"]) for row in csv.DictReader(handle)}
    assert cells == {(guarded(f), guarded(t)) for f, t in expected}


path_names = st.text(
    st.one_of(st.sampled_from(list("'\";$ -=é🚀()[]{}%")), st.characters(codec="utf-8")),
    min_size=1,
    max_size=12,
).filter(lambda name: name not in (".", "..") and "/" not in name and "\x00" not in name)


@pytest.fixture(scope="module")
def one_day_mart():
    """The mart built once: only the export's root varies below (building it per example was
    three quarters of the test's time)."""
    with duckdb.connect() as con:
        create_contract_tables(con)
        insert_generations(con, [Generation(DAY, metadata={"feature": "f", "team": "t"})])
        run_models(con, DAY)
        yield con


@settings(max_examples=25, deadline=None)
@given(folder=path_names)
def test_an_export_root_with_any_name_is_written_exactly_there(
    tmp_path_factory, one_day_mart, folder
):
    root = tmp_path_factory.mktemp("roots") / folder
    exported = export_partition(
        one_day_mart, destination_for(str(root)), table=MART, day=DAY, order_by="feature, team"
    )
    day_folder = root.resolve() / MART / f"date={DAY.isoformat()}"
    assert Path(exported.csv.path).parent == day_folder
    assert sorted(p.name for p in day_folder.iterdir()) == [f"{MART}.csv", f"{MART}.parquet"]
