"""The environment a demo / dev run uses: state under one home, clients pointed at serve-local."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from cost_pipeline.demo.local_server import RunningServer

# Synthetic traffic in the demo always goes to the simulator, never to paid APIs.
DEMO_TRAFFIC_MODE = "simulator"


def run_env(home: Path, server: RunningServer, dagster_home: Path | None = None) -> dict[str, str]:
    env = {
        **server.client_env(),
        "COST_PIPELINE_HOME": str(home),
        "LLM_TRAFFIC_MODE": DEMO_TRAFFIC_MODE,
        # Placeholders so the provider SDKs construct; the simulator ignores them.
        "OPENAI_API_KEY": "sim-key-not-secret",
        "ANTHROPIC_API_KEY": "sim-key-not-secret",
    }
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the duration of an in-process run, then restore the previous values."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
