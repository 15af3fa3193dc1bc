"""The wrappers on langfuse 4.18 (5.0.4 is installed): a subprocess with the other SDK version.

Needs PyPI (``uv run --with langfuse==4.18.0``), as CI has. langfuse 4 sends metadata values
raw instead of JSON-encoded; what the v2 API returns must be the same either way.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cost_pipeline_tests.llm.conftest import business_metadata, trace_observations
from cost_pipeline_tests.uv_binary import uv_binary

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_langfuse_v4")

SENDER = Path(__file__).with_name("langfuse_v4_sender.py")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _run_sender(server) -> dict:
    uv = uv_binary()
    env = {**os.environ, **server.env()}
    completed = subprocess.run(
        [uv, "run", "--frozen", "--with", "langfuse==4.18.0", "python", str(SENDER)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


# One test on purpose: the uv subprocess with langfuse 4.18 is the expensive part.
def test_langfuse_4_generations_read_back_like_langfuse_5(server):
    run = _run_sender(server)
    assert run["langfuse_version"] == "4.18.0"
    assert [call["level"] for call in run["calls"]] == ["DEFAULT"] * 4 + ["ERROR"]
    for call in run["calls"]:
        (generation,) = [
            o
            for o in trace_observations(server, call["trace_id"])
            if o["id"] == call["observation_id"]
        ]
        assert generation["usageDetails"] == call["usage_details"]
        assert generation["level"] == call["level"]
        assert business_metadata(generation) == {
            "feature": "search",
            "team": "growth",
            "tier": "gold",
            "provider": call["provider"],
        }
        assert generation["tags"] == ["feature:search", "team:growth"]
        assert (generation["userId"], generation["sessionId"]) == ("user-4", "sess-4")
        assert generation["traceName"] == "v4-trace"
    assert run["calls"][0]["usage_details"]["output_reasoning_tokens"] > 0

    backdated = run["calls"][3]
    assert backdated["start_time"] == "2026-03-05T08:30:00+00:00"
    (generation,) = trace_observations(server, backdated["trace_id"])
    assert generation["startTime"] == "2026-03-05T08:30:00.000Z"
    assert generation["completionStartTime"] >= generation["startTime"]
