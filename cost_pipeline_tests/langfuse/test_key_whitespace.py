"""A key with whitespace around it (a file-based Kubernetes secret ends with a newline) is sent as
it is, as the Langfuse SDK sends it, and the 401 it gets says what is wrong with it without
showing it. Against serve-local, which, like Langfuse, takes only the exact key."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cost_pipeline.langfuse import (
    LangfuseAuthError,
    ObservationsClient,
    RetryPolicy,
)
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.conftest import LocalServer, start_serve_local
from cost_pipeline_tests.langfuse.crafted_client import WINDOW
from cost_pipeline_tests.langfuse.leaks import PUBLIC, SECRET, leaked


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    keys = {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET}
    with start_serve_local(Path(tmp_path_factory.mktemp("whitespace")), env=keys) as srv:
        yield srv


def rejection(server: LocalServer, public: str, secret: str) -> str:
    connection = LangfuseConnection(server.base_url, public, secret)
    client = ObservationsClient(connection, policy=RetryPolicy(base_delay_s=0.01))
    with client, pytest.raises(LangfuseAuthError) as failure:
        list(client.fetch_window(WINDOW))
    assert client.stats.requests == 1
    message = str(failure.value)
    assert leaked(message) == []
    return message


def test_a_secret_ending_with_a_newline_is_said_to(server):
    message = rejection(server, PUBLIC, SECRET + "\n")
    # 43: the newline counts, which is the other clue a reader gets.
    assert "LANGFUSE_SECRET_KEY (set, 43 characters, not shown; ends with a newline)" in message
    assert "remove" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("public", "said"),
    [
        (f" {PUBLIC}", "starts with a space"),
        (f"{PUBLIC}\r\n", "ends with a newline"),
        (f"\t{PUBLIC} ", "starts with a tab and ends with a space"),
    ],
    ids=["leading-space", "crlf", "both-ends"],
)
def test_a_public_key_with_whitespace_around_it_is_said_to(server, public, said):
    message = rejection(server, public, SECRET)
    assert f"LANGFUSE_PUBLIC_KEY (pk-lf-…7a13; {said})" in message
    assert "remove" in message
    assert "LANGFUSE_SECRET_KEY (set, 42 characters, not shown)" in message


def test_keys_without_whitespace_get_no_such_hint(server):
    message = rejection(server, PUBLIC, SECRET[:-1] + "0")
    assert "newline" not in message and "space" not in message and "remove" not in message
