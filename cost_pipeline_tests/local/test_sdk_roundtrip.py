"""The real Langfuse SDK, both majors, writes through OTLP and reads back with its own client.

5.0.x runs from our venv; 4.18.x runs under ``uv run --no-project --with langfuse==4.18.0``
(needs PyPI, as CI has). Each runs in a subprocess so the SDK's per-public-key singletons
never point at another test's server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.uv_binary import uv_binary

SCRIPT = Path(__file__).with_name("sdk_roundtrip.py")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("sdk")) as srv:
        yield srv


def run_sender(command: list[str], server) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGFUSE_", "OTEL_"))}
    env.update(server.env())
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_roundtrip(result: dict, server, expect_major: str) -> None:
    assert result["sdk"].startswith(expect_major)
    rows = {row["name"]: row for row in result["rows"]}
    assert set(rows) == {"priced", "provided-cost", "unknown-model"}
    assert result["cursor"] is None
    for row in rows.values():
        assert row["trace_id"] == result["trace_id"]
        assert row["type"] == "GENERATION"
        assert (row["user_id"], row["session_id"]) == ("user-123", "sess-abc")
        assert row["tags"] == ["probe", "team-a"]
        assert row["trace_name"] == "probe-trace"
        assert row["version"] == "1.2.3"
        assert row["environment"] == "default"
        assert row["metadata"]["team"] == "platform"  # trace metadata merged in
        assert row["metadata"]["scope"]["name"] == "langfuse-sdk"

    priced = rows["priced"]
    assert priced["model"] == "gpt-4o-mini"
    assert priced["model_parameters"] == {"temperature": 0.2, "max_tokens": 256}
    assert priced["metadata"]["feature"] == "qa"
    # v5 JSON-encodes metadata values (7 -> "7" -> 7); v4 sends the int natively.
    assert priced["metadata"]["n"] == 7
    assert priced["usage_details"] == {
        "input": 20,
        "input_cached_tokens": 100,
        "output": 28,
        "output_reasoning_tokens": 12,
        "total": 160,
    }
    expected = 20 * 0.15e-6 + 100 * 0.075e-6 + 28 * 0.6e-6 + 12 * 0.6e-6
    assert priced["total_cost"] == pytest.approx(expected)
    assert priced["cost_details"]["total"] == pytest.approx(expected)
    assert (priced["model_id"], priced["input_price"], priced["output_price"]) == (
        "gpt-4o-mini",
        "0.00000015",
        "0.0000006",
    )

    provided = rows["provided-cost"]
    assert provided["cost_details"] == {"input": 0.5, "output": 0.25, "total": 0.75}
    assert provided["total_cost"] == 0.75
    assert (provided["level"], provided["status_message"]) == ("ERROR", "overloaded")
    assert provided["completion_start_time"] is not None

    unknown = rows["unknown-model"]
    assert unknown["cost_details"] == {}
    assert unknown["total_cost"] == 0
    assert unknown["model_id"] is None
    assert unknown["usage_details"] == {"input": 3, "output": 4, "total": 7}

    stats = server.stats()
    assert stats["scores_received"] >= 1


def test_langfuse_5_roundtrip(server):
    server.reset_stats()
    result = run_sender([sys.executable, str(SCRIPT)], server)
    check_roundtrip(result, server, "5.")
    assert server.stats()["requests"]["POST /api/public/scores"] == {"202": 1}


def test_langfuse_4_roundtrip(server):
    uv = uv_binary()
    server.reset_stats()
    command = [uv, "run", "--no-project", "--with", "langfuse==4.18.0", "python", str(SCRIPT)]
    result = run_sender(command, server)
    check_roundtrip(result, server, "4.18")
    assert server.stats()["requests"]["POST /api/public/ingestion"] == {"207": 1}
