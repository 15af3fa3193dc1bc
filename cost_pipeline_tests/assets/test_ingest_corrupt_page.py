"""A page that is cut or garbled in the middle (valid start and end) is fetched again, and the
load continues from the checkpoint before it: every row once, nothing lost."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    loaded_ids,
    materialize,
    metadata,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def corrupting_server():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cost_pipeline_tests.langfuse.corrupting_server",
            day_start(BASE_DAY).isoformat(),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline())
        yield SimpleNamespace(
            base_url=f"http://127.0.0.1:{port}", public_key="pk-lf-x", secret_key="sk-lf-x"
        )
    finally:
        process.kill()
        process.wait()


def test_garbled_page_is_refetched_from_the_checkpoint(corrupting_server, tmp_path):
    database = tmp_path / "w.duckdb"
    result = materialize(corrupting_server, database, BASE_DAY, batch_pages=2)
    assert result.success
    meta = metadata(result)
    assert meta["api_requests"] == 3  # page 1, garbled page 2, page 2 again
    assert meta["retries"] == 1
    assert meta["rows_loaded"] == 10
    expected = sorted([f"first-{i}" for i in range(5)] + [f"second-{i}" for i in range(5)])
    assert loaded_ids(database, BASE_DAY) == expected
