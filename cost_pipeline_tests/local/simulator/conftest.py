"""A simulator-only server (no Langfuse parts) on a free port, shared by this folder's modules.

Each module gets its own knobs object so that a test turning errors on cannot leak into others.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from starlette.applications import Starlette

from cost_pipeline.local.simulator import SimulatorKnobs, simulator_routes


@dataclass
class SimulatorServer:
    base_url: str
    knobs: SimulatorKnobs

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/openai/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"{self.base_url}/anthropic"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    knobs = SimulatorKnobs()
    app = Starlette(routes=simulator_routes(knobs))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "simulator did not start"
        time.sleep(0.01)
    yield SimulatorServer(f"http://127.0.0.1:{sock.getsockname()[1]}", knobs)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def knobs(simulator: SimulatorServer) -> Iterator[SimulatorKnobs]:
    """The module server's knobs, reset after the test."""
    yield simulator.knobs
    simulator.knobs.update(latency_ms=0, error_rate=0, seed=0)
