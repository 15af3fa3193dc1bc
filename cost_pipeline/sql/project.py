"""The dbt-style SQL folder: which models exist, which raw tables they may read, their docs.

Layout (``dbt_style_sql/``): ``sources.yml`` declares the warehouse tables models read through
``source()``; every ``.sql`` file under ``staging/`` and ``marts/`` is one model named after its
file stem; an optional ``*.yml`` per folder documents models and columns like dbt's schema files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cost_pipeline.sql.params import quote_identifier

LAYERS = ("staging", "marts")
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "dbt_style_sql"


class SqlProjectError(ValueError):
    """The SQL folder is inconsistent (duplicate model, bad YAML, unknown source...)."""


@dataclass(frozen=True)
class SourceTable:
    source: str
    table: str
    relation: str  # quoted, ready to print into SQL
    asset_key: str  # the Dagster asset that writes the table


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str
    data_type: str


@dataclass(frozen=True)
class SqlModel:
    name: str
    path: Path
    layer: str
    description: str
    columns: tuple[ColumnDoc, ...]


@dataclass(frozen=True)
class SqlProject:
    root: Path
    sources: dict[tuple[str, str], SourceTable]
    models: tuple[SqlModel, ...]

    @property
    def model_names(self) -> frozenset[str]:
        return frozenset(model.name for model in self.models)


def load_project(root: Path | None = None) -> SqlProject:
    root = Path(root or DEFAULT_ROOT)
    if not root.is_dir():
        raise SqlProjectError(f"SQL folder {root} does not exist")
    sources = _load_sources(root / "sources.yml")
    models: list[SqlModel] = []
    seen: dict[str, Path] = {}
    for layer in LAYERS:
        layer_dir = root / layer
        docs = _load_model_docs(layer_dir)
        for path in sorted(layer_dir.rglob("*.sql")):
            name = path.stem
            if name in seen:
                raise SqlProjectError(f"model {name!r} is defined twice: {seen[name]} and {path}")
            if name in {key[1] for key in sources}:
                raise SqlProjectError(f"model {name!r} ({path}) has the name of a source table")
            seen[name] = path
            doc = docs.get(name, {})
            models.append(
                SqlModel(
                    name=name,
                    path=path,
                    layer=layer,
                    description=str(doc.get("description") or "").strip(),
                    columns=_column_docs(doc, path),
                )
            )
    return SqlProject(root=root, sources=sources, models=tuple(models))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SqlProjectError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(loaded, dict):
        raise SqlProjectError(f"{path}: expected a mapping at the top level")
    return loaded


def _load_sources(path: Path) -> dict[tuple[str, str], SourceTable]:
    if not path.exists():
        return {}
    tables: dict[tuple[str, str], SourceTable] = {}
    for source in _read_yaml(path).get("sources") or []:
        source_name = _name(source, path)
        schema = source.get("schema")
        for table in source.get("tables") or []:
            identifier = table.get("identifier", _name(table, path))
            relation = quote_identifier(identifier)
            if schema:
                relation = f"{quote_identifier(schema)}.{relation}"
            meta = table.get("meta") or {}
            tables[(source_name, table["name"])] = SourceTable(
                source=source_name,
                table=table["name"],
                relation=relation,
                # A table can be written by an asset of another name (model_prices is written
                # by raw_generations), so the dependency is declared, defaulting to the name.
                asset_key=meta.get("dagster_asset_key", table["name"]),
            )
    return tables


def _load_model_docs(layer_dir: Path) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(layer_dir.rglob("*.yml")):
        for model in _read_yaml(path).get("models") or []:
            docs[_name(model, path)] = model
    return docs


def _name(entry: Any, path: Path) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise SqlProjectError(
            f"{path}: every source, table and model needs a `name:`, got {entry!r}"
        )
    return entry["name"]


def _column_docs(doc: dict[str, Any], path: Path) -> tuple[ColumnDoc, ...]:
    columns = []
    for column in doc.get("columns") or []:
        if "name" not in column:
            raise SqlProjectError(f"docs of {path.name}: a column has no name")
        columns.append(
            ColumnDoc(
                name=column["name"],
                description=str(column.get("description") or "").strip(),
                data_type=str(column.get("data_type") or "unknown"),
            )
        )
    return tuple(columns)
