"""SQL kept as files beside the code that runs it."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def read_sql(relative_path: str) -> str:
    return resources.files("cost_pipeline.warehouse").joinpath("sql", relative_path).read_text()
