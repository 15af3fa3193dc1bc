"""Attribution key names are user input: any string must be looked up as exactly that key.

Property-based: hypothesis invents key names (quotes, slashes, tildes, dots, `$`, unicode, SQL)
and the real stg_generations model, run in DuckDB, must find the value stored under that key in
metadata, and under "<key>:" in tags.
"""

from datetime import date

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline.sql.params import quote_identifier, sql_literal
from cost_pipeline.sql.project import load_project
from cost_pipeline.sql.render import render_model
from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    create_contract_tables,
    insert_generations,
)

DAY = date(2026, 5, 4)
# Characters that mean something to JSON paths / pointers, SQL or Jinja, plus any other text.
tricky = st.sampled_from(list("~/01\"'.$[]*\\ {}%-:;ü"))
any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
key_names = st.text(st.one_of(tricky, tricky, any_char), min_size=1, max_size=12)
values = st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=12).filter(lambda v: v.strip())


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    create_contract_tables(connection)
    yield connection
    connection.close()


def render_stg(feature_key: str, team_key: str):
    project = load_project()
    return render_model(
        project,
        project.models[0],
        partition_start=DAY,
        partition_end=date(2026, 5, 5),
        variables={"feature_key": feature_key, "team_key": team_key},
    )


def attribution(con, feature_key: str, team_key: str) -> tuple[str, str, str, str]:
    rendered = render_stg(feature_key, team_key)
    # The key names never reach the SQL text: it is the same whatever they are.
    assert rendered.sql == render_stg("feature", "team").sql
    return con.execute(
        f"select feature, team, feature_source, team_source from ({rendered.sql})",
        rendered.params,
    ).fetchone()


def insert_only_generation(con, feature_key: str, team_key: str, feature: str, team: str) -> None:
    """One generation whose feature is in metadata and whose team is in tags, beside decoys."""
    con.execute("delete from raw_generations")
    insert_generations(
        con,
        [
            Generation(
                DAY,
                metadata={feature_key: feature, "other": "decoy"},
                tags=[f"{team_key}:{team}", f"{team_key}x:decoy", "decoy:x"],
            )
        ],
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(feature_key=key_names, team_key=key_names, feature=values, team=values)
def test_any_key_name_reads_exactly_its_metadata_value_and_tag(
    con, feature_key, team_key, feature, team
):
    if feature_key == team_key:
        team_key += "2"
    insert_only_generation(con, feature_key, team_key, feature, team)
    assert attribution(con, feature_key, team_key) == (
        feature.strip(),
        team.strip(),
        "metadata",
        "tags",
    )


@settings(max_examples=40, deadline=None)
@given(name=key_names)
def test_quoted_identifiers_name_exactly_one_table(name):
    connection = duckdb.connect()
    connection.execute(f"create table {quote_identifier(name)} (x int)")
    connection.execute(f"insert into {quote_identifier(name)} values (7)")
    tables = [
        row[0] for row in connection.execute("select table_name from duckdb_tables()").fetchall()
    ]
    assert tables == [name]
    assert connection.execute(f"select x from {quote_identifier(name)}").fetchone() == (7,)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(feature_key=key_names, team_key=key_names, feature=values, team=values)
def test_the_staging_view_holds_any_key_name_as_exactly_that_literal(
    con, feature_key, team_key, feature, team
):
    # The view's definition cannot bind parameters: the keys are literals in its SQL text.
    if feature_key == team_key:
        team_key += "2"
    insert_only_generation(con, feature_key, team_key, feature, team)
    results = run_models(con, DAY, feature_key=feature_key, team_key=team_key)
    assert results["stg_generations"].materialized == "view"
    assert con.execute(
        "select feature, team, feature_source, team_source from stg_generations"
    ).fetchone() == (feature.strip(), team.strip(), "metadata", "tags")


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.one_of(tricky, any_char), max_size=20))
def test_a_string_literal_reads_back_as_exactly_the_string(text):
    assert duckdb.execute(f"select {sql_literal(text)}").fetchone() == (text,)
