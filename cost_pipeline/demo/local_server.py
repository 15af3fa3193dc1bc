"""serve-local as a background process that is always stopped, whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from cost_pipeline import settings

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerStartError(RuntimeError):
    """serve-local did not come up; the message carries the end of its log."""


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    port: int
    data_dir: Path
    log_path: Path
    pid: int

    def client_env(self) -> dict[str, str]:
        """Variables that point the Langfuse SDK, the loader and the provider SDKs at it."""
        return {
            "LANGFUSE_BASE_URL": self.base_url,
            "LANGFUSE_PUBLIC_KEY": settings.LOCAL_PUBLIC_KEY,
            "LANGFUSE_SECRET_KEY": settings.LOCAL_SECRET_KEY,
            "OPENAI_BASE_URL": f"{self.base_url}/openai/v1",
            "ANTHROPIC_BASE_URL": f"{self.base_url}/anthropic",
        }


@dataclass(frozen=True)
class ServerProcess:
    """One serve-local process we started, and where its own output begins in the shared log."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    log_offset: int

    def output(self, lines: int = 20) -> str:
        """The last ``lines`` lines this process wrote (not an earlier start's)."""
        return _tail(self.log_path, self.log_offset, lines)


@contextmanager
def serve_local(
    data_dir: Path, *, port: int = 0, host: str = "127.0.0.1"
) -> Iterator[RunningServer]:
    """Start ``cost-pipeline serve-local`` and yield once it listens; stop it on exit."""
    spawned = spawn_server(data_dir, port=port, host=host)
    try:
        yield wait_until_listening(spawned)
    finally:
        stop_server(spawned.process)


def spawn_server(data_dir: Path, *, port: int = 0, host: str = "127.0.0.1") -> ServerProcess:
    """Start the process without waiting for it: whoever restarts it must be able to stop it
    while it is still starting."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "serve-local.log"
    env = {
        **os.environ,
        # The local server's keys are the documented local ones, whatever the shell exports.
        "LANGFUSE_PUBLIC_KEY": settings.LOCAL_PUBLIC_KEY,
        "LANGFUSE_SECRET_KEY": settings.LOCAL_SECRET_KEY,
    }
    command = [sys.executable, "-m", "cost_pipeline.cli", "serve-local", "--host", host,
               "--port", str(port), "--data-dir", str(data_dir)]  # fmt: skip
    with log_path.open("ab") as log:
        # The log is appended to across starts: a failed start shows only what this one wrote.
        start_offset = log.tell()
        # Own session: Ctrl-C in the terminal reaches us, and we stop the server in order.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return ServerProcess(process, data_dir, log_path, start_offset)


def wait_until_listening(spawned: ServerProcess) -> RunningServer:
    """Wait for the runtime file that names this process; ServerStartError if it exits first."""
    # Not deleted before the start: it may belong to a server still running on this data dir,
    # and a stale one cannot fool the wait, which looks for this process's pid in it.
    runtime_file = spawned.data_dir / "serve-local.json"
    process = spawned.process
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = spawned.output()
            raise ServerStartError(f"serve-local exited with code {process.returncode}:\n{output}")
        info = _read_runtime(runtime_file)
        if info and info.get("pid") == process.pid:
            return RunningServer(
                base_url=info["base_url"],
                port=info["port"],
                data_dir=spawned.data_dir,
                log_path=spawned.log_path,
                pid=process.pid,
            )
        time.sleep(0.05)
    raise ServerStartError(
        f"serve-local did not start within {START_TIMEOUT_S:.0f}s:\n{spawned.output()}"
    )


def _read_runtime(path: Path) -> dict | None:
    try:
        return orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None  # not written yet, or caught mid-write


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, offset: int, lines: int = 20) -> str:
    """The last ``lines`` lines the log got from ``offset`` on (this start's output)."""
    try:
        with path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"
