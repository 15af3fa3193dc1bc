"""The README's copy that moves a warehouse made before into the v1.3.0 storage format runs as
written and keeps every table, view and row."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb

from cost_pipeline.warehouse.resource import NEW_FILE_STORAGE_VERSION, WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline_tests.warehouse.storage_format import storage_version

README = Path(__file__).resolve().parents[2] / "README.md"


def _copy_commands() -> tuple[str, list[str]]:
    """The Python of the `uv run python -c` line, and the `mv` line, from the README's block."""
    (block,) = [
        b
        for b in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if "copy from database" in b
    ]
    copy_line, move_line = block.strip().splitlines()
    uv, run, python, flag, code = shlex.split(copy_line)
    assert (uv, run, python, flag) == ("uv", "run", "python", "-c")
    return code, shlex.split(move_line)


def _catalog(path: Path) -> tuple[str, list[tuple[str, str]], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        version = storage_version(con, path)
        tables = con.execute(
            "select table_name, table_type from information_schema.tables order by 1"
        ).fetchall()
        rows = con.execute("select * from spend_view order by 1").fetchall()
    return version, tables, rows


def test_the_readme_copy_moves_an_old_warehouse_to_the_new_format(tmp_path: Path) -> None:
    warehouse = tmp_path / ".cost_pipeline" / "warehouse.duckdb"
    old = WarehouseResource(
        database=str(warehouse), connection_config={"storage_compatibility_version": "v1.0.0"}
    )
    with old.get_connection() as con:
        ensure_schema(con)
        con.execute("create table spend as select range % 7 as team, range as usd from range(9)")
        con.execute("create view spend_view as select team, sum(usd) from spend group by team")
    version_before, tables_before, rows_before = _catalog(warehouse)
    assert version_before == "v1.0.0+"

    code, move = _copy_commands()
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=60)
    subprocess.run(move, cwd=tmp_path, check=True, timeout=60)

    version, tables, rows = _catalog(warehouse)
    assert version == f"{NEW_FILE_STORAGE_VERSION}+"
    assert tables == tables_before and len(tables) > 2
    assert rows == rows_before and len(rows) == 7
