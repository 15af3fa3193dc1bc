"""The README's Python one-liner for reading the warehouse runs as written and shows the mart."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb

README = Path(__file__).resolve().parents[2] / "README.md"


def _query_code() -> str:
    """The Python of the `uv run python -c` line in the README's read-only query block."""
    (block,) = [
        b
        for b in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if "duckdb -readonly" in b
    ]
    (line,) = [line for line in block.splitlines() if line.startswith("uv run python -c")]
    uv, run, python, flag, code = shlex.split(line)
    assert (uv, run, python, flag) == ("uv", "run", "python", "-c")
    return code


def test_the_readme_query_shows_spend_by_feature_team(tmp_path: Path) -> None:
    warehouse = tmp_path / ".cost_pipeline" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table spend_by_feature_team as "
            "select 'search' as feature, 'growth' as team, 1.25 as cost_usd "
            "union all select 'support-chat', 'customer-experience', 0.5"
        )

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
