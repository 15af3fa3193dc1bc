"""cost-pipeline serve-local: start-up output, keys never printed unless the local default."""

from __future__ import annotations

import subprocess
import sys

from cost_pipeline_tests.conftest import start_serve_local


def test_start_output_names_the_public_key_and_hides_a_real_secret(tmp_path):
    secret = "sk-lf-0123456789-real-looking"
    env = {"LANGFUSE_PUBLIC_KEY": "pk-lf-team", "LANGFUSE_SECRET_KEY": secret}
    with start_serve_local(tmp_path, env=env) as server, server.api() as api:
        assert api.get("/api/public/projects").status_code == 200
    log = server.log_file.read_text()
    assert f"serve-local listening on {server.base_url}" in log
    assert "public key: pk-lf-team" in log
    assert "set from LANGFUSE_SECRET_KEY (not shown)" in log
    assert secret not in log
    assert server.admin_key not in log


def test_default_secret_is_printed_because_it_is_public_anyway(serve_local):
    log = serve_local.log_file.read_text()
    assert "secret key: sk-lf-local (local default)" in log


def test_admin_key_from_env_and_runtime_file_removed_on_clean_stop(tmp_path):
    server = start_serve_local(tmp_path, env={"COST_PIPELINE_ADMIN_KEY": "adm-123"})
    assert server.admin_key == "adm-123"
    server.stop()
    assert not server.runtime_file.exists()


def test_admin_key_persists_per_data_dir(serve_local):
    first = serve_local.admin_key
    serve_local.restart()
    assert serve_local.admin_key == first
    assert (serve_local.data_dir / "admin.key").stat().st_mode & 0o077 == 0


def test_bad_knob_flag_fails_fast_with_a_message(tmp_path):
    command = [
        sys.executable,
        "-m",
        "cost_pipeline.cli",
        "serve-local",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path),
        "--error-rate",
        "3",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "error_rate must be between 0 and 1" in done.stderr
