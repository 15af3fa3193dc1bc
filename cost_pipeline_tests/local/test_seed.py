"""cost-pipeline seed: realistic, deterministic, usable before start or while the server runs."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from cost_pipeline.local.rows import build_row
from cost_pipeline.local.seed import seed_generations
from cost_pipeline.local.seed_draw import FEATURES, TEAMS
from cost_pipeline.local.seed_rows import ChunkSpec, RowEncoder, chunk_draws, observation
from cost_pipeline_tests.conftest import start_serve_local

DAY = date(2026, 11, 22)
FROM, TO = "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"
FIELDS = "core,basic,time,model,usage,metadata,trace_context"


def read_day(server) -> list[dict]:
    rows: list[dict] = []
    params = {
        "fromStartTime": FROM,
        "toStartTime": TO,
        "limit": 1000,
        "fields": FIELDS,
        "type": "GENERATION",
    }
    with server.api() as api:
        while True:
            body = api.get("/api/public/v2/observations", params=params).json()
            rows.extend(body["data"])
            if "cursor" not in body["meta"]:
                return rows
            params["cursor"] = body["meta"]["cursor"]


def test_seed_while_the_server_runs_and_rows_are_realistic(serve_local):
    summary = seed_generations(serve_local.data_dir, DAY, 4_000, seed=5)
    assert summary.rows == 4_000
    rows = read_day(serve_local)
    assert len(rows) == 4_000
    assert all(FROM[:10] == row["startTime"][:10] for row in rows)
    features = Counter(row["metadata"].get("feature") for row in rows)
    teams = Counter(row["metadata"].get("team") for row in rows)
    assert set(features) - {None} == set(FEATURES)
    assert set(teams) - {None} == set(TEAMS)
    assert features[None] > 0 and teams[None] > features[None]  # some lack team or both
    models = {row["model"]: row for row in rows}
    assert any(m.startswith("gpt") for m in models) and any(m.startswith("claude") for m in models)
    assert models["acme-llama-3-70b-internal"]["modelId"] is None
    assert models["acme-llama-3-70b-internal"]["costDetails"] == {}
    assert any(row["usageDetails"].get("input_cached_tokens") for row in rows)
    assert any(row["usageDetails"].get("input_cache_creation") for row in rows)
    assert any(row["usageDetails"].get("output_reasoning_tokens") for row in rows)
    assert all(count >= 0 for row in rows for count in row["usageDetails"].values())
    starts = Counter(row["startTime"] for row in rows)
    assert sum(count for count in starts.values() if count > 1) > 200
    sample = next(row for row in rows if row["metadata"].get("team"))
    assert sample["metadata"]["scope"]["name"] == "langfuse-sdk"
    assert "service.name" in sample["metadata"]["resourceAttributes"]
    assert sample["tags"] == [
        f"feature:{sample['metadata']['feature']}",
        f"team:{sample['metadata']['team']}",
    ]


def test_same_seed_same_rows_and_reseeding_does_not_duplicate(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    seed_generations(first / "serve-local", DAY, 1_500, seed=9)
    seed_generations(second / "serve-local", DAY, 1_500, seed=9)
    seed_generations(second / "serve-local", DAY, 1_500, seed=9)  # again: upserts, no duplicates
    with start_serve_local(first) as a, start_serve_local(second) as b:
        rows_a, rows_b = read_day(a), read_day(b)
    strip = ("createdAt", "updatedAt")
    assert len(rows_b) == 1_500
    assert [{k: v for k, v in r.items() if k not in strip} for r in rows_a] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows_b
    ]


@pytest.mark.parametrize("args", [["--count", "0"], ["--date", "2026-02-30"]])
def test_cli_rejects_bad_input(tmp_path, args):
    base = {"--date": "2026-11-22", "--count": "10"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    command = [
        sys.executable,
        "-m",
        "cost_pipeline.cli",
        "seed",
        "--data-dir",
        str(tmp_path),
        *[x for pair in base.items() for x in pair],
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 2
    assert "Invalid value" in done.stderr


def test_cli_prints_a_summary(tmp_path):
    command = [
        sys.executable,
        "-m",
        "cost_pipeline.cli",
        "seed",
        "--date",
        "2026-11-22",
        "--count",
        "250",
        "--seed",
        "4",
        "--data-dir",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    assert "seeded 250 generations for 2026-11-22" in done.stdout
    assert (tmp_path / "serve-local.sqlite3").exists()


def test_fast_seed_rows_equal_the_generic_encoding_of_the_same_generation():
    draws = chunk_draws(
        ChunkSpec(
            seed=1, day_start_ms=0, index=0, count=2_000, first_quantile=0.0, last_quantile=1.0
        )
    )
    encoder = RowEncoder("pk-lf-local")
    for d in draws:
        reference = build_row(observation(d, "pk-lf-local"), start_ms=d.start_ms, visible_at_ms=1)
        assert encoder.row(d, 1) == reference
