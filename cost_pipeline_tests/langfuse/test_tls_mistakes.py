"""TLS problems are settings, not a flaky network: they fail on the first attempt and say what to
change. Real servers on 127.0.0.1: serve-local (plain HTTP) asked over https://, and an HTTPS
server with a self-signed certificate."""

from datetime import timedelta
from pathlib import Path

import pytest

from cost_pipeline.langfuse import (
    LangfuseRequestError,
    ObservationsClient,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.conftest import LocalServer
from cost_pipeline_tests.langfuse.crafted_client import DAY, WINDOW
from cost_pipeline_tests.langfuse.crafted_server import Answer, crafted_server
from cost_pipeline_tests.langfuse.leaks import PUBLIC, SECRET, leaked
from cost_pipeline_tests.langfuse.tls_certificate import self_signed_for_localhost
from cost_pipeline_tests.warehouse.observations import ids_of, observation, page_bytes

POLICY = RetryPolicy(base_delay_s=0.001, max_attempts=8)
PAGE = page_bytes([observation("obs-tls", DAY + timedelta(hours=1))])


def client_for(base_url: str, public: str, secret: str) -> ObservationsClient:
    return ObservationsClient(LangfuseConnection(base_url, public, secret), policy=POLICY)


@pytest.fixture
def default_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's default trust store (certifi), whatever the shell running the tests sets."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_https_to_a_plain_http_server_fails_at_once_saying_to_use_http(
    serve_local: LocalServer, default_trust: None
) -> None:
    base_url = serve_local.base_url.replace("http://", "https://")
    client = client_for(base_url, serve_local.public_key, serve_local.secret_key)
    with client, pytest.raises(LangfuseRequestError) as failure:
        list(client.fetch_window(WINDOW))
    assert client.stats.requests == 1  # not retried as if the network were flaky
    message = str(failure.value)
    assert f"LANGFUSE_BASE_URL ({base_url})" in message
    assert "the server does not speak TLS" in message and "use http://" in message
    assert "WRONG_VERSION_NUMBER" in message  # what OpenSSL said, for a search


def test_an_untrusted_certificate_fails_at_once_saying_how_to_trust_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_trust: None
) -> None:
    certificate = self_signed_for_localhost(tmp_path)
    tls = certificate.server_context()
    with crafted_server([Answer(200, PAGE)], public_key=PUBLIC, secret_key=SECRET, tls=tls) as srv:
        client = client_for(srv.base_url, PUBLIC, SECRET)
        with client, pytest.raises(LangfuseRequestError) as failure:
            list(client.fetch_window(WINDOW))
        assert client.stats.requests == 1
        message = str(failure.value)
        assert f"LANGFUSE_BASE_URL ({srv.base_url})" in message
        assert "certificate is not trusted" in message and "self-signed" in message
        assert "SSL_CERT_FILE" in message
        assert leaked(message) == []
        assert srv.authorizations == []  # the keys never left: the handshake failed first

        # The advice holds for the httpx this project locks: trusting the file is enough.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
        with client_for(srv.base_url, PUBLIC, SECRET) as trusting:
            assert ids_of([page.body for page in trusting.fetch_window(WINDOW)]) == ["obs-tls"]
