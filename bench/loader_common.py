"""Shared by the loader benchmarks: seeded days, a serve-local per day, measured child runs.

Every contender runs in its own child process, so its wall time, CPU seconds and peak RSS are
its own: ``os.wait4`` returns the resource usage of exactly that child. The parent reads the
server's counters (/admin/stats) around each run for requests, bytes and the busiest minute.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psutil

from bench.machine_speed import probe_seconds
from bench.serve_local_common import LOADER_FIELDS, running_server

PUBLIC_KEY, SECRET_KEY = "pk-lf-local", "sk-lf-local"
EXPAND_METADATA = "feature,team"
RESULT_MARK = "BENCH-RESULT "  # a contender's last stdout line: this mark + JSON


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so servers and children started in ``with`` blocks are
    stopped on the way out (a background job started by a shell ignores SIGINT)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def bench_day() -> date:
    """A fixed past day (a valid daily partition from 2026-01-01 on), for reproducible seeds."""
    return min(date(2026, 11, 2), date.today() - timedelta(days=2))


def machine_description() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import dagster
    import dlt
    import langfuse

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dagster": dagster.__version__,
        "dlt": dlt.__version__,
        "langfuse": langfuse.__version__,
        "httpx": httpx.__version__,
        "load_avg_at_start": round(os.getloadavg()[0], 2),
    }


# ------------------------------------------------------------------------------ seeded days


def seeded_dir(work_dir: Path, rows: int, day: date) -> Path:
    """A serve-local data dir holding ``rows`` generations on ``day`` (seeded once, reused)."""
    data_dir = work_dir / f"serve-local-{day}-{rows}"
    marker = data_dir / ".seeded"
    if marker.exists():
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "cost_pipeline.cli",
        "seed",
        "--date",
        day.isoformat(),
        "--count",
        str(rows),
        "--seed",
        "1",
        "--data-dir",
        str(data_dir),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    marker.touch()
    return data_dir


class Admin:
    """serve-local's admin routes (stats, knobs) with its admin key."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.base_url = info["base_url"]
        self.pid = info["pid"]
        self._http = httpx.Client(
            base_url=info["base_url"], headers={"X-Admin-Key": info["admin_key"]}, timeout=60
        )

    def stats(self) -> dict[str, Any]:
        return self._http.get("/admin/stats").raise_for_status().json()

    def reset_stats(self) -> None:
        self._http.post("/admin/stats/reset").raise_for_status()

    def set_knobs(self, **knobs: Any) -> None:
        self._http.post("/admin/knobs", json=knobs).raise_for_status()

    def server_cpu_s(self) -> float:
        process = psutil.Process(self.pid)
        return sum(sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)])

    def close(self) -> None:
        self._http.close()


@contextmanager
def serving(data_dir: Path) -> Iterator[Admin]:
    with running_server(data_dir) as info:
        admin = Admin(info)
        try:
            yield admin
        finally:
            admin.close()


# ------------------------------------------------------------------------------ child runs


@dataclass
class RunResult:
    contender: str
    rows_expected: int
    rows_loaded: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # the whole child process, start-up included
    load_cpu_s: float | None = None  # the load itself, as the child measured it
    load_wall_s: float | None = None
    peak_rss_mb: float = 0.0
    requests: int = 0
    bytes: int = 0
    max_requests_in_60s: int = 0
    server_cpu_s: float = 0.0
    machine_probe_s: float | None = None  # bench/machine_speed.py just before the run
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows_loaded / self.wall_s if self.wall_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_s": self.rows_per_s}


def run_child(
    contender: str, module: str, args: list[str], admin: Admin, rows: int, log: Path
) -> RunResult:
    """Run ``python -m module args`` and measure it; the child prints its result line last."""
    probe = probe_seconds()
    admin.reset_stats()
    # Write back what earlier steps left dirty (a seeded store, saved pages, a previous run's
    # files): otherwise this run's commits wait behind that writeback in their fsyncs.
    os.sync()
    server_cpu = admin.server_cpu_s()
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "DO_NOT_TRACK": "1"}
    began = time.perf_counter()
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()  # stopped (SIGTERM, Ctrl-C): take the contender down with us
            child.wait()
            raise
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{contender} failed (exit {child.returncode}); log {log}:\n{tail}")
    stats = admin.stats()
    result = RunResult(
        contender=contender,
        rows_expected=rows,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        requests=int(stats["read_requests"]),
        bytes=int(stats["bytes_served"]),
        max_requests_in_60s=int(stats["max_read_requests_in_60s"]),
        server_cpu_s=admin.server_cpu_s() - server_cpu,
        machine_probe_s=probe,
    )
    reported = _reported(log)
    result.rows_loaded = int(reported.pop("rows_loaded"))
    result.load_cpu_s = reported.pop("load_cpu_s", None)
    result.load_wall_s = reported.pop("load_wall_s", None)
    result.extra = reported
    return result


def _reported(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(f"no result line in {log}")


def report(values: dict[str, Any]) -> None:
    """A contender's last line: what it measured itself (rows loaded, load-phase CPU)."""
    print(RESULT_MARK + json.dumps(values), flush=True)


def cpu_now() -> float:
    times = os.times()
    return times.user + times.system


# ------------------------------------------------------------------------------ summaries


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def fmt(values: list[float], digits: int = 1, unit: str = "") -> str:
    mid, low, high = median_range(values)
    if low == high:
        return f"{mid:,.{digits}f}{unit}"
    return f"{mid:,.{digits}f}{unit} ({low:,.{digits}f}-{high:,.{digits}f})"


def request_params(day: date) -> dict[str, str]:
    """The loader's query, so every contender asks for exactly the same rows and groups."""
    return {
        "type": "GENERATION",
        "fromStartTime": f"{day.isoformat()}T00:00:00.000Z",
        "toStartTime": f"{(day + timedelta(days=1)).isoformat()}T00:00:00.000Z",
        "limit": "1000",
        "fields": LOADER_FIELDS,
        "expandMetadata": EXPAND_METADATA,
    }
