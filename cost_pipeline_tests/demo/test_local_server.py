"""The demo's background serve-local: up when yielded, always stopped afterwards.

One test, one real server: starting serve-local costs seconds, so the start-failure case
(a second server on the first one's port) runs while the first is up.
"""

import httpx
import orjson
import pytest

from cost_pipeline.demo.local_server import ServerStartError, serve_local
from cost_pipeline_tests.demo.processes import alive


def test_server_lifecycle_start_failure_and_stop_after_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="boom"), serve_local(tmp_path / "data") as server:
        health = httpx.get(f"{server.base_url}/api/public/health", timeout=10)
        assert health.status_code == 200
        env = server.client_env()
        assert env["OPENAI_BASE_URL"] == f"{server.base_url}/openai/v1"
        assert env["LANGFUSE_BASE_URL"] == server.base_url

        port = int(server.base_url.rsplit(":", 1)[1])
        with (
            pytest.raises(ServerStartError, match="exited with code"),
            serve_local(tmp_path / "second", port=port),
        ):
            pass
        # The same data dir too: the failed start leaves the running server's file alone, and
        # its message shows its own error, not the running server's lines in the shared log.
        with (
            pytest.raises(ServerStartError) as failed,
            serve_local(tmp_path / "data", port=port),
        ):
            pass
        assert "address already in use" in str(failed.value)
        assert "listening on" not in str(failed.value)
        runtime = orjson.loads((tmp_path / "data" / "serve-local.json").read_bytes())
        assert runtime["pid"] == server.pid

        pid = server.pid
        raise RuntimeError("boom")
    assert not alive(pid)  # stopped and reaped despite the error
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/api/public/health", timeout=2)
