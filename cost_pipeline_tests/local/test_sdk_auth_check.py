"""The real SDK's ``Langfuse.auth_check()`` (GET /api/public/projects) against serve-local: True
for the server's keys, HTTP 401 for a wrong secret or public key, as Langfuse answers. llm_traffic
relies on it to stop before sending calls whose spans Langfuse would refuse."""

from __future__ import annotations

import uuid

import pytest
from langfuse import Langfuse
from langfuse.api import UnauthorizedError

from cost_pipeline_tests.conftest import start_serve_local


# A fresh public key per case: the SDK keeps one client, with the first secret it was given,
# per public key per process, so a second client for the same key would not be checked at all.
@pytest.mark.parametrize("wrong", [None, "secret", "public"])
def test_auth_check_accepts_the_servers_keys_only(tmp_path, wrong):
    public, secret = f"pk-lf-{uuid.uuid4().hex}", f"sk-lf-{uuid.uuid4().hex}"
    keys = {"LANGFUSE_PUBLIC_KEY": public, "LANGFUSE_SECRET_KEY": secret}
    with start_serve_local(tmp_path, env=keys) as server:
        client = Langfuse(
            public_key=f"pk-lf-{uuid.uuid4().hex}" if wrong == "public" else public,
            secret_key="sk-lf-wrong" if wrong == "secret" else secret,
            base_url=server.base_url,
        )
        if wrong is None:
            assert client.auth_check() is True
            return
        with pytest.raises(UnauthorizedError) as raised:
            client.auth_check()
    assert raised.value.status_code == 401
    assert secret not in str(raised.value.body)
