"""Imports flow one way (ARCHITECTURE.md, "Packages"): each package of cost_pipeline imports only
the packages listed for it here, so a lower layer never reaches up into assets or Dagster code."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cost_pipeline"

BASE = {"settings", "partitions"}
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "partitions": {"settings"},
    "llm": {"settings"},
    "local": {"settings", "llm"},
    "langfuse": {"settings"},
    "warehouse": {"settings", "llm"},
    "sql": BASE | {"warehouse"},
    "export": BASE | {"sql", "warehouse"},
    "traffic": BASE | {"llm", "warehouse"},
    "schedules": BASE | {"warehouse"},
    "recovery": {"warehouse"},  # the writer pool's name
    "sensors": {"recovery"},
    "assets": BASE | {"llm", "langfuse", "warehouse", "sql", "export", "traffic"},
    "definitions": {
        *("assets", "langfuse", "warehouse", "schedules", "sensors", "settings", "partitions"),
    },
}
# Entry points that wire everything together (CLI commands, the demo) may import anything.
TOP = {"cli", "demo", "__main__", "__init__"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "cost_pipeline":
                names = [f"cost_pipeline.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "cost_pipeline" and len(parts) > 1:
                found.add(parts[1])
    return found


def package_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_each_package_imports_only_the_layers_below_it():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        package = package_of(path)
        if package in TOP:
            continue
        assert package in ALLOWED, f"{path}: new package {package!r}, add it to ALLOWED"
        for imported in imported_packages(path) - {package} - ALLOWED[package]:
            where = path.relative_to(PACKAGE.parent)
            violations.append(f"{where} imports cost_pipeline.{imported}")
    assert violations == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from cost_pipeline.assets.ingest import raw_generations\nimport os\n")
    assert imported_packages(sample) == {"assets"}
    assert "assets" not in ALLOWED["warehouse"]
