"""A server (or a proxy in front of it) that echoes our credentials back, in full or cut.

The real client against a real HTTP server on 127.0.0.1: no piece of the secret or of the Basic
credential may reach an exception, a retry warning or anything built from them.
"""

from urllib.parse import quote

import orjson
import pytest

from cost_pipeline.langfuse import LangfuseAuthError, LangfuseRequestError, LangfuseUnavailableError
from cost_pipeline_tests.langfuse.crafted_client import WINDOW, Recorder, crafted_client
from cost_pipeline_tests.langfuse.crafted_server import Answer, CraftedServer
from cost_pipeline_tests.langfuse.leaks import CREDENTIAL, SECRET, leaked

HTML = {"Content-Type": "text/html"}


def failure_of(
    answers: list[Answer], error: type[Exception], **policy: float
) -> tuple[str, list[str]]:
    """What the client raised and logged while reading WINDOW from a server giving ``answers``."""
    recorder = Recorder()
    server_and_client = crafted_client(answers, recorder, base_delay_s=0.01, **policy)
    with server_and_client as (server, client), pytest.raises(error) as failure:
        list(client.fetch_window(WINDOW))
    assert_echoed_what_was_sent(server)
    return str(failure.value), recorder.warnings


def assert_echoed_what_was_sent(server: CraftedServer) -> None:
    # Positive control: the credential these tests look for is the one the client really sent.
    assert server.authorizations and set(server.authorizations) == {f"Basic {CREDENTIAL}"}


def test_a_401_echoing_the_authorization_header_hides_the_credential():
    body = f"Unauthorized: bad header Authorization: Basic {CREDENTIAL}".encode()
    message, _ = failure_of([Answer(401, body, {"Content-Type": "text/plain"})], LangfuseAuthError)
    assert leaked(message) == []
    assert "bad header Authorization: Basic [redacted]" in message
    assert "LANGFUSE_SECRET_KEY" in message


def test_a_500_page_echoing_the_request_is_hidden_in_every_warning_and_the_final_error():
    page = (
        "<html><body><h1>500 Internal Server Error</h1><pre>GET /api/public/v2/observations\n"
        f"Authorization: Basic {CREDENTIAL}\nUser-Agent: cost-pipeline</pre></body></html>"
    )
    message, warnings = failure_of(
        [Answer(500, page.encode(), HTML)], LangfuseUnavailableError, max_attempts=3
    )
    assert len(warnings) == 2  # the two retries were logged, and they are clean too
    assert [leaked(text) for text in (message, *warnings)] == [[], [], []]


@pytest.mark.parametrize(
    "echoed",
    [
        f"Basic {CREDENTIAL}",
        CREDENTIAL,  # without the scheme
        quote(f"Basic {CREDENTIAL}", safe=""),  # URL-encoded, e.g. in an echoed query string
    ],
    ids=["basic", "bare", "url-encoded"],
)
def test_a_400_json_body_echoing_the_credential_in_any_form_hides_it(echoed):
    body = orjson.dumps({"error": "bad request", "headers": {"authorization": echoed}})
    message, _ = failure_of([Answer(400, body)], LangfuseRequestError)
    assert leaked(message, echoed) == []
    assert "HTTP 400" in message


@pytest.mark.parametrize(
    "secret_text",
    [SECRET, f"Basic {CREDENTIAL}"],
    ids=["secret", "credential"],
)
def test_a_long_message_is_scrubbed_before_it_is_cut(secret_text):
    # The key starts at character 270 of the message: a cut at 300 would keep its first 30.
    lead = "Invalid credentials for key "
    message_text = lead + "." * (270 - len(lead)) + secret_text
    body = orjson.dumps({"message": message_text})
    message, _ = failure_of([Answer(401, body)], LangfuseAuthError)
    assert leaked(message) == []


def test_a_server_that_cuts_its_own_echo_leaves_no_piece_of_the_credential():
    body = orjson.dumps({"message": f"bad header Authorization: Basic {CREDENTIAL[:40]}"})
    message, _ = failure_of([Answer(401, body)], LangfuseAuthError)
    assert leaked(message) == []
