"""Helpers shared by the serve-local benchmarks: start a server, summarise timings."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

LOADER_FIELDS = "core,basic,time,model,usage,metadata,trace_context"


@contextmanager
def running_server(data_dir: Path, *extra: str) -> Iterator[dict]:
    """serve-local in a subprocess on a free port; yields its serve-local.json."""
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime = data_dir / "serve-local.json"
    runtime.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "cost_pipeline.cli",
        "serve-local",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if runtime.exists():
                info = orjson.loads(runtime.read_bytes())
                if info["pid"] == process.pid:
                    break
            if process.poll() is not None:
                raise RuntimeError("serve-local exited during start-up")
            time.sleep(0.05)
        else:
            raise TimeoutError("serve-local did not start")
        info["process_pid"] = process.pid
        yield info
    finally:
        process.terminate()
        process.wait(30)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load avg {load:.2f} at start"
    )


def summary(label: str, values: list[float], unit: str) -> str:
    return (
        f"{label}: median {statistics.median(values):,.0f} {unit} "
        f"(min {min(values):,.0f}, max {max(values):,.0f}, runs {len(values)})"
    )
