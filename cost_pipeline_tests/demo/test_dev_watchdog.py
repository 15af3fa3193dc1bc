"""`cost-pipeline dev` restarts a serve-local that dies, on its port, and stops after a crash loop.

The restart runs the real `dev` command in a subprocess with the real serve-local; only the
Dagster UI is replaced by a stand-in process (the full UI takes ~20 s to start and plays no part
here) that records the environment the UI's runs get, so the test checks that exact URL and
those keys.
"""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import httpx
import orjson
import pytest
from rich.console import Console

from cost_pipeline import settings
from cost_pipeline.demo.watchdog import watched_serve_local
from cost_pipeline.local.seed import seed_generations
from cost_pipeline_tests.demo.processes import alive

pytestmark = pytest.mark.xdist_group("dev_watchdog")

DEADLINE_S = 30.0
SEEDED = 40

STAND_IN_UI = textwrap.dedent(
    """
    import os, signal, sys, orjson
    from pathlib import Path
    target = Path(sys.argv[1])
    record = {"pid": os.getpid(), "env": dict(os.environ)}
    target.with_suffix(".tmp").write_bytes(orjson.dumps(record))
    target.with_suffix(".tmp").replace(target)
    try:
        signal.pause()
    except KeyboardInterrupt:  # Ctrl-C stops it, as it stops the UI: no traceback in the output
        pass
    """
)

DEV_WITH_STAND_IN_UI = textwrap.dedent(
    """
    import sys
    from cost_pipeline.demo import command

    ui = [sys.executable, "-c", sys.argv[1], sys.argv[2]]
    command.dagster_dev_command = lambda host, port: ui
    command.dev.main(["--port", "0", "--ui-port", "0"], prog_name="cost-pipeline dev")
    """
)


def interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a terminal's Ctrl-C (see test_dev_command)


class Dev:
    """`cost-pipeline dev` in its own session, its output in a file the test reads."""

    def __init__(self, tmp_path):
        self.home = tmp_path / "home"
        self.data = self.home / "langfuse-local"
        self.ui_file = tmp_path / "ui.json"
        self.log_path = tmp_path / "dev.log"
        env = {**os.environ, "COST_PIPELINE_HOME": str(self.home), "HOME": str(tmp_path),
               "PYTHONUNBUFFERED": "1"}  # fmt: skip
        command = [sys.executable, "-c", DEV_WITH_STAND_IN_UI, STAND_IN_UI, str(self.ui_file)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=interruptible,
            )  # fmt: skip
        self.server_pids: set[int] = set()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition, what: str):
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dev exited waiting for {what}:\n{self.output()}"
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()}")

    def server(self, other_than: int | None = None) -> dict:
        """serve-local's runtime file once it names a live process other than ``other_than``."""

        def listening():
            try:
                info = orjson.loads((self.data / "serve-local.json").read_bytes())
            except (FileNotFoundError, orjson.JSONDecodeError):
                return None
            return info if info["pid"] != other_than and alive(info["pid"]) else None

        info = self.wait_for(listening, "serve-local to listen")
        self.server_pids.add(info["pid"])
        return info

    def ui(self) -> dict:
        return self.wait_for(
            lambda: self.ui_file.exists() and orjson.loads(self.ui_file.read_bytes()), "the UI"
        )

    def close(self) -> None:
        if self.process.poll() is None:
            # SIGTERM first: dev then stops every serve-local it started, known to us or not.
            self.process.terminate()
            try:
                self.process.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # serve-local runs in a session of its own: a failed assertion must not leave it behind.
        for pid in self.server_pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def observation_ids(env: dict) -> list[str]:
    """What a run in the UI reads: its own LANGFUSE_* variables, a real API request."""
    response = httpx.get(
        f"{env['LANGFUSE_BASE_URL']}/api/public/v2/observations",
        params={"limit": 100},
        auth=(env["LANGFUSE_PUBLIC_KEY"], env["LANGFUSE_SECRET_KEY"]),
        timeout=10,
    )
    response.raise_for_status()
    return sorted(row["id"] for row in response.json()["data"])


def test_killed_serve_local_is_restarted_on_its_port_with_its_keys_and_data(tmp_path):
    seed_generations(tmp_path / "home" / "langfuse-local", date(2026, 1, 5), SEEDED, seed=7)
    dev = Dev(tmp_path)
    try:
        first = dev.server()
        ui = dev.ui()
        env = ui["env"]
        assert env["LANGFUSE_BASE_URL"] == first["base_url"]
        assert (env["LANGFUSE_PUBLIC_KEY"], env["LANGFUSE_SECRET_KEY"]) == (
            settings.LOCAL_PUBLIC_KEY, settings.LOCAL_SECRET_KEY,
        )  # fmt: skip
        seeded = observation_ids(env)
        assert len(seeded) == SEEDED

        os.kill(first["pid"], signal.SIGKILL)
        second = dev.server(other_than=first["pid"])
        # What a run started in the UI before the kill sends: its URL, its keys; the same data.
        assert observation_ids(env) == seeded
        stats = httpx.get(f"{first['base_url']}/admin/stats", timeout=10,
                          headers={"x-admin-key": first["admin_key"]})  # fmt: skip
        assert stats.status_code == 200
        assert second["base_url"] == first["base_url"]

        dev.wait_for(lambda: "serve-local is back on" in dev.output(), "the restart message")
        text = dev.output()
        stopped = text.index("serve-local stopped unexpectedly (killed by SIGKILL)")
        # The dead server's own last lines follow, then the URL it is back on.
        assert "serve-local listening on" in text[stopped : text.index("serve-local is back on")]
        assert f"serve-local is back on {first['base_url']}" in text
        assert alive(ui["pid"])  # the UI was left alone

        os.killpg(dev.process.pid, signal.SIGINT)  # Ctrl-C: we stop it, which is no crash
        dev.process.wait(timeout=DEADLINE_S)
        assert not alive(second["pid"])
        assert dev.output().count("stopped unexpectedly") == 1
    finally:
        dev.close()


def test_a_crash_loop_stops_restarting_and_says_what_to_do(tmp_path):
    """The watcher around a real serve-local, in this process: `dev` adds nothing to this case
    but seconds of start-up, and the test above covers the watcher inside `dev`."""
    console = Console(file=io.StringIO(), width=100)
    data = tmp_path / "data"
    printed = console.file.getvalue
    with watched_serve_local(data, console) as first:
        pid = first.pid
        for restarts in (1, 2):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda n=restarts: printed().count("is back on") == n, printed)
            pid = orjson.loads((data / "serve-local.json").read_bytes())["pid"]
        os.kill(pid, signal.SIGKILL)  # the third exit within a minute
        wait_until(lambda: "not restarting it again" in printed(), printed)

        text = printed()
        assert text.count("stopped unexpectedly (killed by SIGKILL)") == 3
        assert "serve-local stopped 3 times within 60 s" in text
        assert f"{data / 'serve-local.log'}" in text and f"port {first.port}" in text
        assert f"cost-pipeline serve-local --port {first.port} --data-dir {data}" in text
    assert printed().count("is back on") == 2  # nothing started after giving up
    assert not alive(pid)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first.base_url}/api/public/health", timeout=2)


def wait_until(condition, printed) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out; printed so far:\n{printed()}"
        time.sleep(0.05)
