"""The README's run config table names every key of ``raw_generations``'s config, with the
default the code uses: Dagster refuses unknown keys, so a wrong name there fails a user's run."""

from __future__ import annotations

import re
from pathlib import Path

from cost_pipeline.assets.ingest import IngestConfig

README = Path(__file__).resolve().parents[2] / "README.md"
TESTING_ONLY = {"stop_after_pages"}


def _run_config_table() -> dict[str, str]:
    """Each key in the table's first column -> that row's default column."""
    section = README.read_text().split("Run config (Launchpad", 1)[1].split("\n\n", 2)[1]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        keys = re.findall(r"`([a-z_]+)`", cells[0])
        defaults = [default.strip() for default in cells[1].split("/")]
        if len(keys) != len(defaults):
            continue  # the header and separator rows
        rows.update(zip(keys, defaults, strict=True))
    return rows


def test_every_run_config_key_is_in_the_table_with_its_default() -> None:
    table = _run_config_table()
    fields = IngestConfig.model_fields
    assert set(table) == set(fields) - TESTING_ONLY
    for key, documented in table.items():
        default = fields[key].default
        if isinstance(default, bool):
            assert documented == str(default).lower(), key
        else:
            assert float(documented) == float(default), key
