"""serve-local with keys of its own, and the environment ``llm_traffic`` reads pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cost_pipeline_tests.conftest import LocalServer, start_serve_local


@contextmanager
def traffic_to_serve_local(root: Path) -> Iterator[LocalServer]:
    keys = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:12]}",
        "LANGFUSE_SECRET_KEY": f"sk-lf-{uuid.uuid4().hex[:12]}",
    }
    with start_serve_local(root, env=keys) as server, pytest.MonkeyPatch.context() as patch:
        for name, value in server.env().items():
            patch.setenv(name, value)
        for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "LLM_TRAFFIC_MODE"):
            patch.delenv(name, raising=False)  # the simulator is found via LANGFUSE_BASE_URL
        yield server
