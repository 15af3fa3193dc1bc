"""Render one model file with Jinja2: ``ref()``, ``source()``, ``var()``, ``config()``.

Rendering is pure (no database), so the asset factory renders each file once at load time to learn
its dependencies, and the asset renders it again at run time with the real partition window.
Relations are printed as quoted identifiers; every value is a bound parameter (see params.py),
except in a view's definition (``inline_values``), where values print as quoted literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from cost_pipeline.sql.params import (
    BLANK_ENDS_SQL,
    ONLY_BLANKS_SQL,
    Param,
    ParamRegistry,
    json_pointer,
    plain_value,
    quote_identifier,
)
from cost_pipeline.sql.project import SqlModel, SqlProject, SqlProjectError

_ENVIRONMENT = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
)


MATERIALIZATIONS = ("table", "view")


@dataclass(frozen=True)
class ModelConfig:
    """What ``{{ config(...) }}`` may set.

    ``partition_by``: the column a partition's run replaces (a table) or counts (a view).
    ``materialized``: ``table`` stores the rows (a run replaces its partition's rows); ``view``
    stores only the query, which every reader (the next model, BI) runs over all partitions.
    """

    partition_by: str = "date"
    materialized: str = "table"


@dataclass(frozen=True)
class RenderedModel:
    model: SqlModel
    sql: str
    params: dict[str, Any]
    refs: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    config: ModelConfig


@dataclass
class _RenderState:
    project: SqlProject
    model: SqlModel
    variables: Mapping[str, Any]
    registry: ParamRegistry = field(default_factory=ParamRegistry)
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        if name == self.model.name:
            raise SqlProjectError(f"{self.model.path.name}: a model cannot ref() itself")
        if name not in self.project.model_names:
            known = ", ".join(sorted(self.project.model_names))
            raise SqlProjectError(f"{self.model.path.name}: ref({name!r}) is not a model ({known})")
        if name not in self.refs:
            self.refs.append(name)
        return quote_identifier(name)

    def source(self, source_name: str, table_name: str) -> str:
        key = (source_name, table_name)
        table = self.project.sources.get(key)
        if table is None:
            raise SqlProjectError(
                f"{self.model.path.name}: source({source_name!r}, {table_name!r}) "
                "is not declared in sources.yml"
            )
        if key not in self.sources:
            self.sources.append(key)
        return table.relation

    def var(self, name: str, default: Any = None) -> Param:
        if name not in self.variables and default is None:
            raise SqlProjectError(f"{self.model.path.name}: var({name!r}) has no value")
        return self.registry.param(name, self.variables.get(name, default))

    def json_pointer(self, key: Any) -> Param:
        return self.registry.derived("json_pointer", json_pointer(str(plain_value(key))))

    def tag_prefix(self, key: Any) -> Param:
        # Tags carry context as "<key>:<value>" (e.g. feature:search).
        return self.registry.derived("tag_prefix", f"{plain_value(key)}:")

    def set_config(self, **options: Any) -> str:
        unknown = set(options) - set(ModelConfig.__dataclass_fields__)
        if unknown:
            raise SqlProjectError(f"{self.model.path.name}: unknown config {sorted(unknown)}")
        materialized = options.get("materialized", "table")
        if materialized not in MATERIALIZATIONS:
            raise SqlProjectError(
                f"{self.model.path.name}: materialized={materialized!r}, expected one of "
                f"{', '.join(MATERIALIZATIONS)}"
            )
        self.config.update(options)
        return ""


def render_model(
    project: SqlProject,
    model: SqlModel,
    *,
    partition_start: date,
    partition_end: date,
    variables: Mapping[str, Any] | None = None,
    inline_values: bool = False,
) -> RenderedModel:
    """SQL text plus the parameters it binds, for the window [partition_start, partition_end).

    ``inline_values``: print every value as a literal, for a view's stored definition (no
    parameters; the window may not be used).
    """
    state = _RenderState(
        project=project,
        model=model,
        variables=dict(variables or {}),
        registry=ParamRegistry(inline=inline_values),
    )
    context = {
        "ref": state.ref,
        "source": state.source,
        "var": state.var,
        "json_pointer": state.json_pointer,
        "tag_prefix": state.tag_prefix,
        "blank_ends": BLANK_ENDS_SQL,
        "only_blanks": ONLY_BLANKS_SQL,
        "config": state.set_config,
        "partition_start": state.registry.param("partition_start", partition_start, window=True),
        "partition_end": state.registry.param("partition_end", partition_end, window=True),
    }
    try:
        sql = _ENVIRONMENT.from_string(model.path.read_text()).render(**context)
    except SqlProjectError:
        raise
    except (jinja2.TemplateError, ValueError) as error:  # ValueError: a value params.py refused
        raise SqlProjectError(f"{model.path}: {error}") from error
    return RenderedModel(
        model=model,
        sql=sql.strip().rstrip(";"),
        params=dict(state.registry.values),
        refs=tuple(state.refs),
        sources=tuple(state.sources),
        config=ModelConfig(**state.config),
    )
