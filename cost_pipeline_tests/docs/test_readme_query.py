"""The README's Python one-liner for reading the warehouse runs as written and shows the mart."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb

README = Path(__file__).resolve().parents[2] / "README.md"


def _query_block() -> str:
    (block,) = [
        b
        for b in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if "duckdb -readonly" in b
    ]
    return block


def _cli_command() -> list[str]:
    """The `duckdb -readonly ... -c "..."` command (continued over lines) as its arguments."""
    lines = [line for line in _query_block().splitlines() if not line.startswith("#")]
    start = next(i for i, line in enumerate(lines) if line.startswith("duckdb "))
    command = lines[start]
    while command.endswith("\\"):
        start += 1
        command = command[:-1] + lines[start]
    return shlex.split(command)


def _query_code() -> str:
    """The Python of the `uv run python -c` line in the README's read-only query block."""
    (line,) = [line for line in _query_block().splitlines() if line.startswith("uv run python -c")]
    uv, run, python, flag, code = shlex.split(line)
    assert (uv, run, python, flag) == ("uv", "run", "python", "-c")
    return code


def _mart(tmp_path: Path) -> Path:
    warehouse = tmp_path / ".cost_pipeline" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table spend_by_feature_team as "
            "select 'search' as feature, 'growth' as team, 1.25 as cost_usd "
            "union all select 'support-chat', 'customer-experience', 0.5"
        )
    return warehouse


def test_the_readme_duckdb_cli_query_runs(tmp_path: Path) -> None:
    """The DuckDB CLI is not installed here: its SQL runs through the Python package, on the
    file the command names, opened read-only as the command opens it."""
    _mart(tmp_path)
    duckdb_cli, readonly, path, flag, sql = _cli_command()
    assert (duckdb_cli, readonly, flag) == ("duckdb", "-readonly", "-c")
    with duckdb.connect(str(tmp_path / path), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows == [("search", "growth", 1.25), ("support-chat", "customer-experience", 0.5)]


def test_the_readme_query_shows_spend_by_feature_team(tmp_path: Path) -> None:
    _mart(tmp_path)

    shown = subprocess.run(
        [sys.executable, "-c", _query_code()],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout

    assert "search" in shown and "growth" in shown
    assert "support-chat" in shown and "customer-experience" in shown
