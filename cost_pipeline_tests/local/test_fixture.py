"""The shared serve_local fixture itself: starts, answers, restarts, survives kill -9."""

from __future__ import annotations

import os
import stat


def test_fixture_starts_a_listening_server(serve_local):
    with serve_local.api() as api:
        assert api.get("/api/public/projects").status_code == 200
    info_mode = stat.S_IMODE(os.stat(serve_local.runtime_file).st_mode)
    assert info_mode == 0o600
    assert serve_local.env()["LANGFUSE_BASE_URL"] == serve_local.base_url


def test_restart_gets_a_new_process_on_the_same_port(serve_local):
    old_pid, old_port = serve_local.pid, serve_local.port
    serve_local.kill9()
    serve_local.restart()
    assert serve_local.pid != old_pid
    assert serve_local.port == old_port
    assert serve_local.stats()["read_requests"] == 0
