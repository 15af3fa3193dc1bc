"""Shared fixtures: a REAL serve-local server in a subprocess, on a free port, with its own data.

Usage
-----
Function scope (a fresh server per test)::

    def test_something(serve_local):
        env = serve_local.env()          # LANGFUSE_* / OPENAI_* / ANTHROPIC_* pointing at it
        serve_local.set_knobs(error_rate=0.5, fault_seed=7)
        ...

Module scope (one server shared by a module's tests; only where tests do not interfere)::

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        with start_serve_local(tmp_path_factory.mktemp("serve-local")) as srv:
            yield srv

``start_serve_local(tmp_path, env=None, extra_args=())`` returns a started ``LocalServer``
(also usable as a context manager, which stops it). ``env`` adds/overrides environment variables
of the server process (e.g. ``{"LANGFUSE_SECRET_KEY": "sk-other"}``); ``extra_args`` are extra CLI
flags (e.g. ``["--visibility-delay-s", "2"]``).

``LocalServer`` attributes: base_url, public_key, secret_key, admin_key, data_dir, pid.
Methods: env(), set_knobs(**knobs) -> knobs, knobs(), stats(), reset_stats(),
truth(from_, to, types=None) -> sorted ids, inject(observations, truncate_metadata=True) -> count,
restart() (same data dir and port, new process), kill9() (SIGKILL, no clean-up; restart() after),
stop(). Knob names: see ``cost_pipeline.local.knobs.Knobs`` (plus simulator_latency_ms /
simulator_error_rate when the provider simulator is installed).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

# A test that forgets to choose its own COST_PIPELINE_HOME writes here, never into the checkout's
# ./.cost_pipeline, where `make demo` keeps its warehouse and exports (nor a home set in the shell).
os.environ["COST_PIPELINE_HOME"] = tempfile.mkdtemp(prefix="cost-pipeline-tests-home-")
atexit.register(shutil.rmtree, os.environ["COST_PIPELINE_HOME"], ignore_errors=True)

PUBLIC_KEY = "pk-lf-local"
SECRET_KEY = "sk-lf-local"
START_TIMEOUT_S = 60.0  # generous: the suite runs on 2 busy cores
STOP_TIMEOUT_S = 10.0


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class LocalServer:
    data_dir: Path
    server_env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    base_url: str = ""
    admin_key: str = ""
    pid: int = 0
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def public_key(self) -> str:
        return self.server_env.get("LANGFUSE_PUBLIC_KEY", PUBLIC_KEY)

    @property
    def secret_key(self) -> str:
        return self.server_env.get("LANGFUSE_SECRET_KEY", SECRET_KEY)

    @property
    def runtime_file(self) -> Path:
        return self.data_dir / "serve-local.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, port: int = 0) -> LocalServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.runtime_file.unlink()  # a stale file from a killed process must not count
        env = {k: v for k, v in os.environ.items() if not k.startswith("COST_PIPELINE_LOCAL_")}
        env.pop("COST_PIPELINE_ADMIN_KEY", None)
        env.update({"LANGFUSE_PUBLIC_KEY": PUBLIC_KEY, "LANGFUSE_SECRET_KEY": SECRET_KEY})
        env.update(self.server_env)
        command = [
            sys.executable,
            "-m",
            "cost_pipeline.cli",
            "serve-local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve-local exited at start-up:\n{self.log_tail()}")
            with contextlib.suppress(FileNotFoundError, orjson.JSONDecodeError):
                info = orjson.loads(self.runtime_file.read_bytes())
                if info.get("pid") == self.process.pid:
                    self.base_url, self.port = info["base_url"], info["port"]
                    self.admin_key, self.pid = info["admin_key"], info["pid"]
                    return
            time.sleep(0.02)  # polling for the file, not hiding a race
        self.stop()
        raise TimeoutError(f"serve-local did not start in {START_TIMEOUT_S}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)

    def restart(self) -> LocalServer:
        """Stop (if running) and start a new process on the same data dir and port."""
        self.stop()
        try:
            return self.start(port=self.port)
        except (RuntimeError, TimeoutError):
            return self.start(port=0)  # the old port was taken meanwhile

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- clients -------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Environment for SDKs and our pipeline to talk to this server."""
        return {
            "LANGFUSE_BASE_URL": self.base_url,
            "LANGFUSE_HOST": self.base_url,
            "LANGFUSE_PUBLIC_KEY": self.public_key,
            "LANGFUSE_SECRET_KEY": self.secret_key,
            "OPENAI_BASE_URL": f"{self.base_url}/openai/v1",
            "ANTHROPIC_BASE_URL": f"{self.base_url}/anthropic",
            "OPENAI_API_KEY": "sk-sim-local",
            "ANTHROPIC_API_KEY": "sk-ant-sim-local",
        }

    def api(self, timeout: float = 30.0) -> httpx.Client:
        """An httpx client with Basic auth for the public API (close it, or use ``with``)."""
        return httpx.Client(
            base_url=self.base_url, auth=(self.public_key, self.secret_key), timeout=timeout
        )

    def wait_for_observations(
        self, params: dict[str, Any], expected: int, timeout_s: float = 30.0
    ) -> list[dict[str, Any]]:
        """One v2 observations page, read again until it holds ``expected`` rows (ingestion is
        asynchronous) or ``timeout_s`` passes; the caller asserts on what came back."""
        deadline = time.monotonic() + timeout_s
        with self.api() as api:
            while True:
                response = api.get("/api/public/v2/observations", params=params)
                response.raise_for_status()
                data = response.json()["data"]
                if len(data) >= expected or time.monotonic() > deadline:
                    return data
                time.sleep(0.05)  # polling for ingestion, bounded by the deadline

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-Admin-Key": self.admin_key}
        response = httpx.request(
            method, f"{self.base_url}{path}", headers=headers, timeout=60.0, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def set_knobs(self, **knobs: Any) -> dict[str, Any]:
        return self.admin("POST", "/admin/knobs", json=knobs)

    def knobs(self) -> dict[str, Any]:
        return self.admin("GET", "/admin/knobs")

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "/admin/stats")

    def reset_stats(self) -> dict[str, Any]:
        return self.admin("POST", "/admin/stats/reset")

    def truth(
        self, from_: datetime | str, to: datetime | str, types: Sequence[str] | None = None
    ) -> list[str]:
        params: list[tuple[str, str]] = [("fromStartTime", _iso(from_)), ("toStartTime", _iso(to))]
        params += [("type", t) for t in types or ()]
        return self.admin("GET", "/admin/truth", params=params)["ids"]

    def inject(self, observations: Sequence[dict[str, Any]], truncate_metadata: bool = True) -> int:
        body = {"observations": list(observations), "truncate_metadata": truncate_metadata}
        return self.admin("POST", "/admin/observations", json=body)["stored"]


def start_serve_local(
    tmp_path: Path, env: dict[str, str] | None = None, extra_args: Sequence[str] = ()
) -> LocalServer:
    """Start a serve-local subprocess with data under ``tmp_path/serve-local``."""
    server = LocalServer(tmp_path / "serve-local", dict(env or {}), tuple(extra_args))
    return server.start()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow end-to-end tests first. xdist hands out work in collection order, so a long test
    collected late (the 30-day backfill, 2-3 minutes) ran while the other worker had finished
    and waited: minutes of one idle core at the end of every `make test`."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: order kept


@pytest.fixture
def serve_local(tmp_path: Path) -> Iterator[LocalServer]:
    with start_serve_local(tmp_path) as server:
        yield server


@pytest.fixture
def stager(tmp_path: Path) -> Iterator[Any]:
    """Pages written to a real spool and staged by the real parser (warehouse/staging.py)."""
    from cost_pipeline.warehouse.spool import PageSpool
    from cost_pipeline_tests.warehouse.staging import Stager

    with PageSpool(str(tmp_path)) as spool:
        yield Stager(spool)
