"""Faults serve-local cannot produce, from a real HTTP server on 127.0.0.1: a body that does not
match its Content-Encoding, and a 429 whose body asks for a wait that is no wait at all."""

import math
from datetime import timedelta

import orjson
import pytest

from cost_pipeline.langfuse import LangfuseUnavailableError
from cost_pipeline_tests.langfuse.crafted_client import DAY, WINDOW, Recorder, crafted_client
from cost_pipeline_tests.langfuse.crafted_server import Answer
from cost_pipeline_tests.warehouse.observations import ids_of, observation, page_bytes

PAGE = page_bytes([observation(f"obs-{i}", DAY + timedelta(hours=i)) for i in range(3)])
NOT_GZIP = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
BASE_DELAY_S = 0.01


def test_a_page_whose_gzip_is_broken_is_asked_for_again():
    recorder = Recorder()
    answers = [Answer(200, PAGE, NOT_GZIP), Answer(200, PAGE)]
    with crafted_client(answers, recorder, base_delay_s=BASE_DELAY_S) as (_, client):
        pages = [page.body for page in client.fetch_window(WINDOW)]
        assert client.stats.retries == 1
        assert client.stats.requests == 2
    assert ids_of(pages) == ["obs-0", "obs-1", "obs-2"]
    assert "does not match its Content-Encoding header" in recorder.warnings[0]


def test_a_gzip_that_stays_broken_ends_in_the_usual_clear_error():
    recorder = Recorder()
    answers = [Answer(200, PAGE, NOT_GZIP)]
    policy = {"base_delay_s": BASE_DELAY_S, "max_attempts": 3}
    with crafted_client(answers, recorder, **policy) as (server, client):
        with pytest.raises(LangfuseUnavailableError) as failure:
            list(client.fetch_window(WINDOW))
        assert client.stats.requests == 3
    message = str(failure.value)
    assert "failed 3 times" in message and "does not match its Content-Encoding header" in message
    assert f"LANGFUSE_BASE_URL ({server.base_url})" in message and "max_attempts" in message


@pytest.mark.parametrize("asked", [-100, "-100", "nan", "inf", "1e400"])
def test_a_429_body_asking_for_no_usable_wait_gets_the_normal_backoff(asked):
    recorder = Recorder()
    throttled = orjson.dumps({"message": "rate limited", "details": {"retryAfterSeconds": asked}})
    answers = [Answer(429, throttled), Answer(200, PAGE)]
    with crafted_client(answers, recorder, base_delay_s=BASE_DELAY_S) as (_, client):
        pages = [page.body for page in client.fetch_window(WINDOW)]
        waited = client.stats.retry_wait_s
    assert len(pages) == 1
    # Retry 1's backoff is half to all of the base delay; the budget booked exactly that wait.
    assert len(recorder.sleeps) == 1
    assert BASE_DELAY_S / 2 <= recorder.sleeps[0] <= BASE_DELAY_S
    assert math.isfinite(waited) and waited == recorder.sleeps[0]
    assert recorder.warnings[0].endswith(f"retry 1 in {recorder.sleeps[0]:.2f}s")
