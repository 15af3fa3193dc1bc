"""The README's configuration reference names every variable the package reads, with the
defaults the code uses when the variable is unset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cost_pipeline import settings
from cost_pipeline.local.config import ADMIN_KEY_FILE_NAME, load_admin_key

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# A quoted name in the package's source: an environment variable it reads.
VARIABLE = re.compile(r"[\"'](COST_PIPELINE_[A-Z_]*|LLM_TRAFFIC_[A-Z_]+|LANGFUSE_[A-Z_]+)[\"']")


def _table() -> dict[str, str]:
    """Each variable named in the table's first column -> that row's default column."""
    section = README.read_text().split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([A-Z_<>]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def test_every_variable_the_package_reads_is_in_the_table() -> None:
    read = {
        name
        for path in (ROOT / "cost_pipeline").rglob("*.py")
        for name in VARIABLE.findall(path.read_text())
    }
    assert "COST_PIPELINE_HOME" in read and "COST_PIPELINE_LOCAL_" in read
    named = _table()
    missing = {
        name
        for name in read
        if name not in named and not any(row.startswith(name) for row in named)
    }
    assert not missing, f"not in the README's configuration reference: {sorted(missing)}"


def test_the_table_gives_the_defaults_the_code_uses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in _table():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LANGFUSE_HOST", raising=False)
    table = _table()
    public, secret = settings.langfuse_keys()
    assert table["LANGFUSE_BASE_URL"] == f"`{settings.langfuse_base_url()}`"
    assert table["LANGFUSE_PUBLIC_KEY"] == f"`{public}` / `{secret}`"
    assert table["COST_PIPELINE_HOME"] == f"`./{settings.home_dir()}`"
    assert table["COST_PIPELINE_START_DATE"] == f"`{settings.partitions_start_date()}`"
    keys = settings.attribution_keys()
    assert table["COST_PIPELINE_FEATURE_KEY"] == f"`{keys.feature}` / `{keys.team}`"
    rpm = settings.langfuse_requests_per_minute()
    assert table["COST_PIPELINE_REQUESTS_PER_MINUTE"] == f"`{rpm}`"
    share = settings.unattributed_warn_share()
    assert table["COST_PIPELINE_UNATTRIBUTED_WARN_SHARE"] == f"`{share:g}`"
    sends = settings.schedule_sends_traffic()
    assert table["COST_PIPELINE_SCHEDULE_TRAFFIC"] == f"`{str(sends).lower()}`"
    # serve-local's admin key, unset: one random key per data dir, kept in a file.
    key = load_admin_key(tmp_path)
    assert (tmp_path / ADMIN_KEY_FILE_NAME).read_text() == key
    assert "random" in table["COST_PIPELINE_ADMIN_KEY"]
    assert f"`{ADMIN_KEY_FILE_NAME}`" in table["COST_PIPELINE_ADMIN_KEY"]
