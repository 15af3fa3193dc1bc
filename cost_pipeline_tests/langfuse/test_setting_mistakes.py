"""Setting mistakes fail at once with what to change, never a secret, and are not retried as if
the network were flaky: credentials in the URL, a URL without a scheme, a redirect (often
http:// to https://), an HTML page instead of the API, keys left unset."""

import pytest

from cost_pipeline import settings
from cost_pipeline.langfuse import (
    LangfuseAuthError,
    LangfuseRequestError,
    ObservationsClient,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.langfuse.crafted_client import WINDOW
from cost_pipeline_tests.langfuse.crafted_server import Answer, crafted_server
from cost_pipeline_tests.langfuse.leaks import PUBLIC, SECRET, leaked

NO_WAIT = RetryPolicy(base_delay_s=0.001, max_attempts=8)


def failure_of(base_url: str, public: str = PUBLIC, secret: str = SECRET) -> tuple[Exception, int]:
    """The error a first page gets, and how many requests it took."""
    client = ObservationsClient(
        LangfuseConnection(base_url, public, secret), policy=NO_WAIT, sleep=lambda _: None
    )
    with client, pytest.raises((LangfuseRequestError, LangfuseAuthError)) as failure:
        list(client.fetch_window(WINDOW))
    return failure.value, client.stats.requests


@pytest.mark.parametrize(
    ("base_url", "suggested"),
    [
        (f"http://{PUBLIC}:{SECRET}@127.0.0.1:3000/", "http://127.0.0.1:3000"),
        # Without a scheme, urlsplit would read the public key as one and miss the rest.
        (f"{PUBLIC}:{SECRET}@cloud.langfuse.com", "cloud.langfuse.com"),
    ],
)
def test_credentials_in_the_base_url_are_refused_without_showing_them(
    monkeypatch, base_url, suggested
):
    monkeypatch.setenv("LANGFUSE_BASE_URL", base_url)
    with pytest.raises(ValueError) as failure:
        settings.langfuse_connection()
    message = str(failure.value)
    assert "LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY" in message
    assert f"set LANGFUSE_BASE_URL to {suggested}" in message
    assert leaked(message) == [] and PUBLIC not in message


@pytest.mark.parametrize("base_url", ["127.0.0.1:3000", "htp://127.0.0.1:3000", "localhost"])
def test_a_base_url_without_http_fails_at_once(base_url):
    error, requests = failure_of(base_url)
    assert requests == 0
    assert f"LANGFUSE_BASE_URL ({base_url}) is not an http:// or https:// URL" in str(error)


def test_a_redirect_names_where_to_point_and_that_the_keys_went_in_clear():
    moved = {"Location": "https://langfuse.example.com/api/public/v2/observations"}
    with crafted_server([Answer(308, b"", moved)], public_key=PUBLIC, secret_key=SECRET) as server:
        error, requests = failure_of(server.base_url)
    message = str(error)
    assert requests == 1
    assert "redirect (HTTP 308) to https://langfuse.example.com" in message
    assert "set LANGFUSE_BASE_URL" in message and "plain HTTP" in message
    assert leaked(message) == []


def test_an_html_page_instead_of_the_api_fails_at_once():
    sign_in = Answer(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"})
    with crafted_server([sign_in], public_key=PUBLIC, secret_key=SECRET) as server:
        error, requests = failure_of(server.base_url)
    assert requests == 1
    assert "an HTML page, not JSON" in str(error) and "LANGFUSE_BASE_URL" in str(error)


def test_a_rejected_key_left_unset_is_called_unset(monkeypatch):
    monkeypatch.delenv("LANGFUSE_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("LANGFUSE_SECRET_KEY", raising=False)
    refused = Answer(401, b'{"message": "Invalid credentials"}')
    with crafted_server([refused], public_key=PUBLIC, secret_key=SECRET) as server:
        error, _ = failure_of(server.base_url, settings.LOCAL_PUBLIC_KEY, settings.LOCAL_SECRET_KEY)
    message = str(error)
    assert "LANGFUSE_SECRET_KEY (not set, so serve-local's built-in 'sk-lf-local' was sent)" in (
        message
    )
    assert "LANGFUSE_PUBLIC_KEY (not set" in message
    # A key that was set is described, never shown.
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", SECRET)
    with crafted_server([refused], public_key=PUBLIC, secret_key=SECRET) as server:
        error, _ = failure_of(server.base_url)
    assert "LANGFUSE_SECRET_KEY (set, 42 characters, not shown)" in str(error)
    assert leaked(str(error)) == []
