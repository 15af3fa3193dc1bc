"""`cost-pipeline dev`: Dagster UI with the code location and serve-local; Ctrl-C stops both."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from cost_pipeline_tests.demo.processes import alive

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]

QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
    location { name } assetNodes { assetKey { path } }
    schedules { name cronSchedule scheduleState { status } } } } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float, what: str, process: subprocess.Popen):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"cost-pipeline dev exited early while waiting for {what}"
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ui_answers(url: str):
    try:
        return httpx.get(f"{url}/server_info", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def start_dev(tmp_path, preexec_fn):
    """`cost-pipeline dev` in its own session (so a test can signal the whole group)."""
    home, ui_port = tmp_path / "home", free_port()
    env = {**os.environ, "COST_PIPELINE_HOME": str(home), "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "cost_pipeline.cli", "dev", "--port", "0",
               "--ui-port", str(ui_port)]  # fmt: skip
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=preexec_fn)  # fmt: skip
    return process, home, ui_port, log


def test_dev_serves_the_code_location_and_ctrl_c_stops_serve_local(tmp_path):
    # Own process group, so the test can send Ctrl-C to it like a terminal does. A suite started
    # in the background (`make test &`) runs with SIGINT ignored, which children inherit; a
    # terminal's Ctrl-C always has its default action, so the child gets that back.
    process, home, ui_port, log = start_dev(tmp_path, interruptible)
    server: dict = {}
    try:
        runtime = home / "langfuse-local" / "serve-local.json"
        server = wait_for(
            lambda: runtime.exists() and orjson.loads(runtime.read_bytes()),
            60,
            "serve-local",
            process,
        )
        ui = f"http://127.0.0.1:{ui_port}"
        wait_for(lambda: ui_answers(ui), 180, "the Dagster UI", process)

        answer = httpx.post(f"{ui}/graphql", json={"query": QUERY}, timeout=30).json()
        (repository,) = answer["data"]["repositoriesOrError"]["nodes"]
        assets = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
        assert assets == {
            "llm_traffic", "raw_generations", "stg_generations",
            "spend_by_feature_team", "spend_export",
        }  # fmt: skip
        assert repository["schedules"][0]["name"] == "daily_spend_schedule"
        # The name workspace.yaml gives it, whatever the checkout's folder is called: a run
        # launched with `dagster job launch -w workspace.yaml` names this location.
        workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())
        (entry,) = workspace["load_from"]
        assert repository["location"]["name"] == entry["python_module"]["location_name"]
        assert "default_limit: 1" in (home / "dagster_home" / "dagster.yaml").read_text()
        assert httpx.get(f"{server['base_url']}/api/public/health", timeout=5).status_code == 200

        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        assert not alive(server["pid"])
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # serve-local runs in a session of its own: a failed assertion above must not leave it.
        if server and alive(server["pid"]):
            os.kill(server["pid"], signal.SIGKILL)
        log.close()


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def session_members(session: int) -> list[str]:
    """Command lines of the live processes in ``session`` (field 6 of /proc/PID/stat)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        # fields[0] is the state (field 3); a zombie has exited already.
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_kill_stops_the_ui_too_when_started_in_the_background(tmp_path):
    """`make dev &` and nohup start us with SIGINT ignored; `kill` must still stop Dagster."""
    process, _, ui_port, log = start_dev(tmp_path, ignore_sigint)
    try:
        wait_for(lambda: ui_answers(f"http://127.0.0.1:{ui_port}"), 180, "the Dagster UI", process)
        assert len(session_members(process.pid)) > 2  # us, dg dev, webserver, daemon, ...

        process.terminate()
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert session_members(process.pid) == []
        assert not ui_answers(f"http://127.0.0.1:{ui_port}")
    finally:
        if process.poll() is None or session_members(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_a_taken_ui_port_fails_at_once_with_the_option_to_change(tmp_path):
    """Dagster's webserver only logs a port it cannot bind and `dg dev` keeps running without a
    UI; the command checks the port first, before serve-local or Dagster start."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "COST_PIPELINE_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)}
        command = [sys.executable, "-m", "cost_pipeline.cli", "dev", "--port", "0",
                   "--ui-port", str(port)]  # fmt: skip
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = output.decode()
    assert process.returncode == 1, text
    assert f"127.0.0.1:{port}" in text and "address already in use" in text
    assert "--ui-port" in text
    assert not (tmp_path / "home" / "langfuse-local").exists()  # serve-local never started
