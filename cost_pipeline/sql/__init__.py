"""dbt-style SQL models: render with ref()/source()/var(), one Dagster asset per .sql file."""

from cost_pipeline.sql.factory import build_sql_assets
from cost_pipeline.sql.project import SqlProject, load_project
from cost_pipeline.sql.render import RenderedModel, render_model

__all__ = ["RenderedModel", "SqlProject", "build_sql_assets", "load_project", "render_model"]
