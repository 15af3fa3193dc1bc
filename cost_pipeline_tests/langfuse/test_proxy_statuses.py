"""Statuses a CDN or reverse proxy in front of Langfuse answers with (Cloudflare's 520-524, the
598/599 some proxies use for timeouts): transient trouble between it and Langfuse, retried like
a 502/503/504 with the same budget and back-off. A 5xx that no retry changes (501 Not
Implemented, 505) still fails at once. The real client against a real HTTP server on 127.0.0.1.
"""

from datetime import timedelta

import pytest

from cost_pipeline.langfuse import LangfuseRequestError, LangfuseUnavailableError
from cost_pipeline_tests.langfuse.crafted_client import DAY, WINDOW, Recorder, crafted_client
from cost_pipeline_tests.langfuse.crafted_server import Answer
from cost_pipeline_tests.warehouse.observations import ids_of, observation, page_bytes

PAGE = page_bytes([observation(f"obs-{i}", DAY + timedelta(hours=i)) for i in range(3)])
HTML = {"Content-Type": "text/html; charset=UTF-8"}
# Cloudflare's page, shortened: an HTML body, not Langfuse's JSON.
CLOUDFLARE_522 = (
    b"<!DOCTYPE html><html><head><title>cloud.example.com | 522: Connection timed out</title>"
    b"</head><body>" + b"<p>The initial connection between Cloudflare's network and the origin "
    b"web server timed out.</p>" * 20 + b"</body></html>"
)


def read_window(answers: list[Answer], **policy: float) -> tuple[list[bytes], dict, list[str]]:
    """The page bodies, the request counters and the warnings of reading WINDOW."""
    recorder = Recorder()
    with crafted_client(answers, recorder, **policy) as (_, client):
        try:
            pages = [page.body for page in client.fetch_window(WINDOW)]
        finally:
            stats = client.stats.snapshot()
    return pages, stats, recorder.warnings


@pytest.mark.parametrize("status", [520, 521, 522, 523, 524, 598, 599])
def test_a_proxy_status_is_retried_and_the_load_completes(status):
    pages, stats, warnings = read_window([Answer(status, CLOUDFLARE_522, HTML), Answer(200, PAGE)])
    assert ids_of(pages) == ["obs-0", "obs-1", "obs-2"]
    assert (stats["requests"], stats["retries"], stats["pages"]) == (2, 1, 1)
    assert len(warnings) == 1 and f"HTTP {status} (" in warnings[0]
    assert "a proxy in front of Langfuse" in warnings[0]


def test_a_522_that_lasts_ends_in_the_usual_give_up_naming_the_proxy():
    with pytest.raises(LangfuseUnavailableError) as failure:
        read_window([Answer(522, CLOUDFLARE_522, HTML)], max_attempts=3)
    message = str(failure.value)
    assert "failed 3 times in a row" in message
    assert "HTTP 522 (connection to the origin timed out" in message
    assert "LANGFUSE_BASE_URL" in message and "max_attempts" in message


@pytest.mark.parametrize("status", [501, 505])
def test_a_5xx_no_retry_can_change_fails_at_once_with_a_clear_message(status):
    body = b'{"message": "Not Implemented"}'
    with crafted_client([Answer(status, body)]) as (server, client):
        with pytest.raises(LangfuseRequestError) as failure:
            list(client.fetch_window(WINDOW))
        assert (client.stats.requests, client.stats.retries) == (1, 0)
    message = str(failure.value)
    assert f"(HTTP {status}): Not Implemented." in message
    assert "retrying cannot help" in message and f"LANGFUSE_BASE_URL ({server.base_url})" in message


def test_an_html_error_page_is_named_by_its_title_not_pasted_into_the_warning():
    _, _, warnings = read_window([Answer(522, CLOUDFLARE_522, HTML), Answer(200, PAGE)])
    [line] = warnings
    assert "an HTML page titled 'cloud.example.com | 522: Connection timed out'" in line
    assert "<" not in line and "initial connection" not in line


def test_an_html_error_page_without_a_title_is_given_as_its_text():
    body = (
        b"\n  <html><head><style>h1 {color: red}</style></head><body><h1>502 Bad Gateway</h1>"
        b"<hr><center>nginx</center></body></html>"
    )
    _, _, warnings = read_window([Answer(502, body, HTML), Answer(200, PAGE)])
    [line] = warnings
    assert line.startswith("Langfuse: HTTP 502: an HTML page: 502 Bad Gateway nginx; retry 1"), line
