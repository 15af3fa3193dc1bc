"""The README's Python examples run as written against serve-local and record what they say.

Each ```python block is executed in a child process (its own Langfuse client, configured only
by the environment variables the README tells users to set), then the generations are read back
through serve-local's v2 API.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cost_pipeline_tests.conftest import LocalServer, start_serve_local

README = Path(__file__).resolve().parents[2] / "README.md"
FLUSH = "\nfrom langfuse import get_client\nget_client().flush()\n"
READ_TIMEOUT_S = 30.0

pytestmark = pytest.mark.xdist_group("readme_examples")


def python_blocks() -> list[str]:
    """The examples that record LLM calls (the export readers are run in assets/test_export.py)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [block for block in blocks if "instrument(" in block]


def test_readme_has_the_wrapper_examples() -> None:
    blocks = python_blocks()
    assert any("OpenAI()" in block for block in blocks)
    assert any("Anthropic()" in block for block in blocks)


def test_readme_examples_record_generations_with_their_context(tmp_path: Path) -> None:
    keys = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:12]}",
        "LANGFUSE_SECRET_KEY": f"sk-lf-{uuid.uuid4().hex[:12]}",
    }
    with start_serve_local(tmp_path / "serve-local", env=keys) as server:
        env = {
            **os.environ,
            **keys,
            "LANGFUSE_BASE_URL": server.base_url,
            "OPENAI_BASE_URL": f"{server.base_url}/openai/v1",
            "ANTHROPIC_BASE_URL": f"{server.base_url}/anthropic",
            "OPENAI_API_KEY": "sk-readme-example",
            "ANTHROPIC_API_KEY": "sk-ant-readme-example",
        }
        blocks = python_blocks()
        for block in blocks:
            subprocess.run([sys.executable, "-c", block + FLUSH], env=env, check=True, timeout=120)
        generations = _read_generations(server, expected=len(blocks))

    by_feature = {g["metadata"].get("feature"): g for g in generations}
    assert set(by_feature) == {"search", "support-chat"}
    assert by_feature["search"]["metadata"]["team"] == "growth"
    assert by_feature["search"]["model"].startswith("gpt-4o-mini")
    support = by_feature["support-chat"]
    assert support["metadata"]["team"] == "customer-experience"
    assert support["userId"] == "user-42"
    assert support["sessionId"] == "sess-9"
    for generation in generations:
        assert generation["usageDetails"]["input"] > 0
        assert generation["usageDetails"]["output"] > 0


def _read_generations(server: LocalServer, expected: int) -> list[dict]:
    params = {
        "type": "GENERATION",
        "fields": "core,basic,model,usage,metadata,trace_context",
        "limit": 100,
    }
    data = server.wait_for_observations(params, expected)
    assert len(data) == expected, data
    return data
