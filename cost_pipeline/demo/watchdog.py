"""Restart serve-local when it dies under ``cost-pipeline dev``, and say so in the terminal.

Without this, a crashed or OOM-killed serve-local leaves the UI running and every later run
failing with connection errors nobody explains. The restart reuses the port and the data dir:
the UI's runs were given that URL and the local keys when it started, the admin key is stored
in the data dir, and so are the generations, so runs keep working without restarting the UI.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from cost_pipeline.demo.local_server import (
    RunningServer,
    ServerProcess,
    ServerStartError,
    spawn_server,
    stop_server,
    wait_until_listening,
)

# Three exits (or failed restarts) within a minute is a crash loop, not bad luck: restarting
# again would only fill the terminal.
MAX_FAILURES = 3
FAILURE_WINDOW_S = 60.0
LOG_LINES = 10


@contextmanager
def watched_serve_local(
    data_dir: Path, console: Console, *, port: int = 0
) -> Iterator[RunningServer]:
    """serve_local, restarted on the same port while the block runs; stopped (not restarted)
    when it ends."""
    first = spawn_server(data_dir, port=port)
    try:
        server = wait_until_listening(first)
    except BaseException:
        stop_server(first.process)
        raise
    watchdog = _Watchdog(first, server, console)
    try:
        yield server
    finally:
        watchdog.close()


def describe_exit(code: int) -> str:
    if code < 0:  # Popen's way of saying "killed by signal -code"
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Watchdog:
    def __init__(self, first: ServerProcess, server: RunningServer, console: Console) -> None:
        self._current, self._server, self._console = first, server, console
        self._failures: list[float] = []
        self._stopping = threading.Event()
        # Held while a restart publishes its process, so close() always stops the newest one.
        self._lock = threading.Lock()
        # Blocked in wait() on the process: no polling, and it wakes the moment the server exits.
        self._thread = threading.Thread(
            target=self._watch, name="serve-local-watchdog", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop watching first, so the exit we cause is neither reported nor restarted."""
        self._stopping.set()
        with self._lock:
            current = self._current
        stop_server(current.process)  # also ends a restart still waiting for its server to listen
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        watched = self._current
        while True:
            code = watched.process.wait()
            if self._stopping.is_set():
                return
            self._say(f"serve-local stopped unexpectedly ({describe_exit(code)}); its last lines:")
            self._console.print(
                watched.output(LOG_LINES), markup=False, highlight=False, soft_wrap=True
            )
            restarted = self._restart()
            if restarted is None:
                return
            watched = restarted

    def _restart(self) -> ServerProcess | None:
        """The restarted process once it listens; None when stopping or giving up."""
        while not self._give_up_after_failure():
            with self._lock:
                if self._stopping.is_set():
                    return None
                self._current = spawned = spawn_server(
                    self._server.data_dir, port=self._server.port
                )
            try:
                server = wait_until_listening(spawned)
            except ServerStartError as error:
                stop_server(spawned.process)  # a start that timed out is still running
                if self._stopping.is_set():
                    return None
                self._say(f"serve-local did not restart: {error}")
                continue
            self._say(f"serve-local is back on {server.base_url} (same port, keys and data)")
            return spawned
        return None

    def _give_up_after_failure(self) -> bool:
        """Count one failure; past the limit, say what to do instead and stop restarting."""
        now = time.monotonic()
        self._failures = [t for t in self._failures if now - t < FAILURE_WINDOW_S] + [now]
        if len(self._failures) < MAX_FAILURES:
            return False
        port, log = self._server.port, self._server.log_path
        self._say(
            f"serve-local stopped {MAX_FAILURES} times within {FAILURE_WINDOW_S:.0f} s; not "
            f"restarting it again. The Dagster UI keeps running, but its runs cannot reach "
            f"Langfuse. Look at its log, {log}; check that nothing else took port {port}; then "
            f"run it by hand: cost-pipeline serve-local --port {port} --data-dir "
            f"{self._server.data_dir}"
        )
        return True

    def _say(self, text: str) -> None:
        # Not markup: paths and log lines may hold brackets. soft_wrap: no newline inside a path.
        self._console.print(text, style="yellow", markup=False, highlight=False, soft_wrap=True)
