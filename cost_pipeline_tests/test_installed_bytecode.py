"""The environment `make setup` builds holds compiled bytecode for what every process imports.

Where Python may not write .pyc files (PYTHONDONTWRITEBYTECODE), a package installed without
them is compiled from source in every process: ~2 s and ~40 MB more for each run and test
(BENCHMARKS.md, "The loader side by side again"). `make setup` has uv write them at install.
"""

import importlib.util
import os
from pathlib import Path

import dagster
import duckdb
import httpx
import pytest

PACKAGES = [dagster, duckdb, httpx]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.__name__)
def test_the_packages_every_run_imports_are_compiled(package):
    source = Path(package.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.is_file(), (
        f"{package.__name__} has no compiled bytecode ({cached} is missing); "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE')!r}. "
        "Install with `make setup` or `uv sync --compile-bytecode`"
    )
