"""Renderer: ref() / source() / var() / config(), window parameters, clear errors."""

from datetime import date
from pathlib import Path

import pytest

from cost_pipeline.sql.project import SqlProjectError, load_project
from cost_pipeline.sql.render import render_model

WINDOW = {"partition_start": date(2026, 3, 1), "partition_end": date(2026, 3, 2)}

SOURCES = """
sources:
  - name: langfuse
    tables:
      - name: raw_generations
      - name: model_prices
        meta: {dagster_asset_key: raw_generations}
  - name: other
    schema: analytics
    tables:
      - name: weird
        identifier: 'we"ird'
"""


def write_project(root: Path, models: dict[str, str]) -> Path:
    (root / "staging").mkdir(parents=True)
    (root / "marts").mkdir()
    (root / "sources.yml").write_text(SOURCES)
    for relative, text in models.items():
        (root / relative).write_text(text)
    return root


def render(root: Path, name: str, **variables):
    project = load_project(root)
    model = next(m for m in project.models if m.name == name)
    return render_model(project, model, variables=variables, **WINDOW)


def test_ref_and_source_render_quoted_relations_and_record_dependencies(tmp_path):
    root = write_project(
        tmp_path,
        {
            "staging/stg_a.sql": "select * from {{ source('langfuse', 'raw_generations') }} "
            "join {{ source('other', 'weird') }} using (id)",
            "marts/mart_b.sql": "select * from {{ ref('stg_a') }} join {{ ref('stg_a') }} x",
        },
    )
    staged = render(root, "stg_a")
    assert staged.sql == 'select * from "raw_generations" join "analytics"."we""ird" using (id)'
    assert staged.sources == (("langfuse", "raw_generations"), ("other", "weird"))
    assert staged.refs == ()
    mart = render(root, "mart_b")
    assert mart.refs == ("stg_a",)
    assert mart.sql == 'select * from "stg_a" join "stg_a" x'


def test_partition_window_and_vars_are_bound_parameters_not_text(tmp_path):
    root = write_project(
        tmp_path,
        {
            "marts/m.sql": "select {{ var('feature_key') }} as k, "
            "{{ json_pointer(var('team_key')) }} as p, {{ tag_prefix(var('team_key')) }} as t "
            "where d >= {{ partition_start }} and d < {{ partition_end }}"
        },
    )
    rendered = render(root, "m", feature_key="x'; drop table t; --", team_key="a/b~c")
    assert "drop table" not in rendered.sql
    assert "2026" not in rendered.sql
    assert "$partition_start" in rendered.sql and "$partition_end" in rendered.sql
    assert rendered.params["partition_start"] == date(2026, 3, 1)
    assert rendered.params["partition_end"] == date(2026, 3, 2)
    assert rendered.params["feature_key"] == "x'; drop table t; --"
    values = set(rendered.params.values())
    assert "/a~1b~0c" in values  # RFC 6901 escaping of "/" and "~"
    assert "a/b~c:" in values


def test_unused_parameters_are_not_bound(tmp_path):
    # DuckDB rejects parameters a statement does not use.
    root = write_project(tmp_path, {"marts/m.sql": "select 1 as x"})
    assert render(root, "m", feature_key="f").params == {}


def test_config_sets_partition_column_and_defaults_to_date(tmp_path):
    root = write_project(
        tmp_path,
        {
            "staging/s.sql": "{{ config(partition_by='partition_date') }}select 1",
            "marts/m.sql": "select 1",
        },
    )
    assert render(root, "s").config.partition_by == "partition_date"
    assert render(root, "s").sql == "select 1"
    assert render(root, "m").config.partition_by == "date"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select * from {{ ref('nope') }}", "ref('nope') is not a model"),
        ("select * from {{ ref('m') }}", "cannot ref() itself"),
        ("select * from {{ source('langfuse', 'nope') }}", "not declared in sources.yml"),
        ("{{ config(materialize='view') }}", "unknown config"),
        ("select {{ var('missing') }}", "var('missing') has no value"),
        ("select {{ undefined_thing }}", "undefined"),
        ("select {{ ", "m.sql"),
    ],
)
def test_template_errors_name_the_file_and_the_problem(tmp_path, text, message):
    root = write_project(tmp_path, {"marts/m.sql": text})
    with pytest.raises(SqlProjectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(root, "m")


def test_duplicate_model_names_across_layers_are_rejected(tmp_path):
    root = write_project(tmp_path, {"staging/x.sql": "select 1", "marts/x.sql": "select 2"})
    with pytest.raises(SqlProjectError, match="defined twice"):
        load_project(root)


def test_schema_yml_documents_models_and_columns(tmp_path):
    root = write_project(tmp_path, {"marts/m.sql": "select 1 as a"})
    (root / "marts" / "schema.yml").write_text(
        "models:\n  - name: m\n    description: The m mart.\n"
        "    columns:\n      - name: a\n        description: An a.\n        data_type: integer\n"
    )
    model = load_project(root).models[0]
    assert model.description == "The m mart."
    assert [(c.name, c.description, c.data_type) for c in model.columns] == [
        ("a", "An a.", "integer")
    ]


def test_the_shipped_models_render_with_their_documented_dependencies():
    project = load_project()
    names = [model.name for model in project.models]
    assert names == ["stg_generations", "spend_by_feature_team"]
    stg = render_model(
        project, project.models[0], variables={"feature_key": "f", "team_key": "t"}, **WINDOW
    )
    assert set(stg.sources) == {("langfuse", "raw_generations"), ("langfuse", "model_prices")}
    mart = render_model(project, project.models[1], variables={}, **WINDOW)
    assert mart.refs == ("stg_generations",)


def test_a_source_without_a_name_is_a_clear_error(tmp_path):
    root = write_project(tmp_path, {"marts/m.sql": "select 1"})
    (root / "sources.yml").write_text("sources:\n  - tables:\n      - name: t\n")
    with pytest.raises(SqlProjectError, match="needs a `name:`"):
        load_project(root)


def test_a_view_definition_prints_values_as_literals_and_refuses_the_window(tmp_path):
    root = write_project(
        tmp_path,
        {
            "staging/v.sql": "{{ config(materialized='view') }}select "
            "{{ json_pointer(var('feature_key')) }} as p, {{ tag_prefix(var('team_key')) }} as t",
            "marts/w.sql": "{{ config(materialized='view') }}select 1 where d >= "
            "{{ partition_start }}",
        },
    )
    project = load_project(root)
    view, windowed = project.models
    definition = render_model(
        project,
        view,
        variables={"feature_key": "it's", "team_key": "a/b"},
        inline_values=True,
        **WINDOW,
    )
    assert definition.config.materialized == "view"
    assert definition.params == {}
    assert definition.sql == "select '/it''s' as p, 'a/b:' as t"
    with pytest.raises(SqlProjectError, match="view covers every partition"):
        render_model(project, windowed, variables={}, inline_values=True, **WINDOW)


def test_materialized_must_be_table_or_view(tmp_path):
    root = write_project(tmp_path, {"marts/m.sql": "{{ config(materialized='incremental') }}"})
    with pytest.raises(SqlProjectError, match="materialized='incremental'"):
        render(root, "m")
