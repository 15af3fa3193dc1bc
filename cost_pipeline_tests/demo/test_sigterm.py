"""`kill <pid>` of a demo/dev process still stops its background serve-local."""

import signal
import subprocess
import sys
import textwrap
import time

import orjson

from cost_pipeline_tests.demo.processes import alive

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cost_pipeline.demo.local_server import serve_local
    from cost_pipeline.demo.signals import sigterm_unwinds

    with sigterm_unwinds(), serve_local(Path(sys.argv[1])):
        print("ready", flush=True)
        time.sleep(120)
    """
)


def test_sigterm_unwinds_and_stops_serve_local(tmp_path):
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(data)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        server_pid = orjson.loads((data / "serve-local.json").read_bytes())["pid"]
        assert alive(server_pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while alive(server_pid):  # reaped by the unwinding parent before it exits
            assert time.monotonic() < deadline, "serve-local outlived its parent"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
