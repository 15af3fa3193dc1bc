"""A bad COST_PIPELINE_START_DATE, as the commands that load the code location report it.

The start date is read when cost_pipeline.definitions is imported, so the message a user sees
is whatever escapes that import: it must name the setting, not strptime's format string.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BAD = "2026-13-01"
EXPECTED = f"COST_PIPELINE_START_DATE={BAD!r}: expected a date as YYYY-MM-DD"


def _run(arguments: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "COST_PIPELINE_HOME": str(tmp_path / "home"),
        "COST_PIPELINE_START_DATE": BAD,
    }
    return subprocess.run(
        arguments, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_dagster_asset_materialize_names_the_setting(tmp_path):
    dagster = Path(sys.executable).parent / "dagster"
    completed = _run(
        [str(dagster), "asset", "materialize", "-m", "cost_pipeline.definitions",
         "--select", "raw_generations", "--partition", "2026-11-01"],
        tmp_path,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    # Dagster prints the import's traceback; its last line is the one a user reads.
    assert output.strip().splitlines()[-1].startswith(f"ValueError: {EXPECTED}"), output[-2000:]
    assert "does not match format" not in output


def test_demo_and_dev_stop_with_the_message_and_no_traceback(tmp_path):
    for command in ("demo", "dev"):
        completed = _run([sys.executable, "-m", "cost_pipeline.cli", command], tmp_path)
        output = completed.stdout + completed.stderr
        assert completed.returncode == 1, output[-2000:]
        assert output.strip() == f"Error: {EXPECTED} (the first daily partition, e.g. 2026-01-01)"
        assert not (tmp_path / "home" / "langfuse-local").exists()  # nothing was started
