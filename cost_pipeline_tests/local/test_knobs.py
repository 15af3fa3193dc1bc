"""Every fault/realism knob does what it says, at runtime and from flags or env at start."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.local.otlp_builders import generation, post_protobuf

OBS = "/api/public/v2/observations"
OFF = {
    "rate_limit_per_minute": 0,
    "error_rate": 0,
    "drop_rate": 0,
    "truncate_rate": 0,
    "invalid_json_rate": 0,
    "repeat_cursor_rate": 0,
    "page_latency_ms": 0,
    "visibility_delay_s": 0,
    "fail_next": [],
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("knobs")) as srv:
        with srv.api() as api:
            assert post_protobuf(api, [generation(f"g{i}") for i in range(5)]).status_code == 200
        yield srv


@pytest.fixture
def server(shared):
    shared.set_knobs(**OFF)
    shared.reset_stats()
    yield shared
    shared.set_knobs(**OFF)


def get_page(server, **params):
    with server.api() as api:
        return api.get(OBS, params={"limit": 2, **params})


def test_knobs_are_off_by_default_and_readable(server):
    knobs = server.knobs()
    assert {k: knobs[k] for k in OFF} == OFF
    assert "simulator_latency_ms" in knobs


def test_rate_limit_answers_429_in_langfuse_shape(server):
    server.set_knobs(rate_limit_per_minute=3)
    statuses = [get_page(server).status_code for _ in range(3)]
    limited = get_page(server)
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    body = limited.json()
    assert body["code"] == "rate_limited"
    assert body["details"]["limit"] == 3
    assert body["details"]["remaining"] == 0
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["details"]["retryAfterSeconds"] == retry_after
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "GMT" in limited.headers["X-RateLimit-Reset"]
    stats = server.stats()
    assert stats["rate_limited"] == 1
    assert stats["max_read_requests_in_60s"] == 4
    assert stats["requests"][f"GET {OBS}"] == {"200": 3, "429": 1}


def test_error_rate_one_means_every_page_fails(server):
    server.set_knobs(error_rate=1)
    response = get_page(server)
    assert response.status_code == 500
    assert response.json()["message"] == "Internal Server Error"
    assert server.stats()["faults_injected"] == {"status": 1}


def test_drop_rate_cuts_the_connection_mid_body(server):
    server.set_knobs(drop_rate=1)
    with pytest.raises(httpx.RemoteProtocolError):
        get_page(server)
    server.set_knobs(drop_rate=0)
    assert get_page(server).status_code == 200  # the server itself is unharmed


def test_truncate_rate_sends_a_complete_200_with_cut_json(server):
    server.set_knobs(truncate_rate=1)
    response = get_page(server)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_invalid_json_rate_sends_a_body_that_is_not_json(server):
    server.set_knobs(invalid_json_rate=1)
    response = get_page(server)
    assert response.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_repeat_cursor_rate_echoes_the_request_cursor(server):
    first = get_page(server).json()
    cursor = first["meta"]["cursor"]
    server.set_knobs(repeat_cursor_rate=1)
    again = get_page(server, cursor=cursor).json()
    assert again["meta"]["cursor"] == cursor
    assert again["data"] and again["data"][0]["id"] != first["data"][0]["id"]


def test_page_latency_delays_each_page(server):
    server.set_knobs(page_latency_ms=300)
    began = time.monotonic()
    assert get_page(server).status_code == 200
    assert time.monotonic() - began >= 0.3  # a lower bound only: the sleep is the knob


def test_visibility_delay_hides_new_rows_until_due(server):
    server.set_knobs(visibility_delay_s=1.5)
    late = generation("late")
    with server.api() as api:
        assert post_protobuf(api, [late]).status_code == 200
        params = {"traceId": late.trace_hex}
        assert api.get(OBS, params=params).json()["data"] == []
        assert late.id_hex in server.truth("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
        deadline = time.monotonic() + 30
        while not api.get(OBS, params=params).json()["data"]:
            assert time.monotonic() < deadline, "row never became visible"
            time.sleep(0.1)


def test_fail_next_is_applied_in_order_then_exhausted(server):
    server.set_knobs(
        fail_next=[{"status": 429, "retry_after": 2, "count": 2}, {"kind": "drop"}, {"status": 503}]
    )
    first, second = get_page(server), get_page(server)
    assert (first.status_code, second.status_code) == (429, 429)
    assert first.headers["Retry-After"] == "2"
    with pytest.raises(httpx.RemoteProtocolError):
        get_page(server)
    assert get_page(server).status_code == 503
    assert get_page(server).status_code == 200
    assert server.knobs()["fail_next"] == []


def test_fault_seed_makes_random_faults_repeatable(server):
    def sequence() -> list[int]:
        server.set_knobs(error_rate=0.5, fault_seed=42)
        return [get_page(server).status_code for _ in range(12)]

    first, second = sequence(), sequence()
    assert first == second
    assert {200, 500} <= set(first)


def test_bad_knob_values_are_rejected_and_change_nothing(server):
    before = server.knobs()
    for bad in (
        {"error_rate": 2},
        {"page_latency_ms": -1},
        {"no_such_knob": 1},
        {"fail_next": [{"kind": "explode"}]},
        {"error_rate": 0.5, "drop_rate": "x"},
    ):
        response = httpx.post(
            server.base_url + "/admin/knobs",
            json=bad,
            headers={"X-Admin-Key": server.admin_key},
            timeout=30,
        )
        assert response.status_code == 400, bad
    assert server.knobs() == before


def test_simulator_knobs_pass_through(server):
    knobs = server.set_knobs(simulator_latency_ms=5, simulator_error_rate=0.25)
    assert (knobs["simulator_latency_ms"], knobs["simulator_error_rate"]) == (5, 0.25)
    server.set_knobs(simulator_latency_ms=0, simulator_error_rate=0)


def test_knobs_from_flags_and_env_at_start(tmp_path):
    env = {
        "COST_PIPELINE_LOCAL_PAGE_LATENCY_MS": "25",
        "COST_PIPELINE_LOCAL_FAIL_NEXT": '[{"status": 500}]',
    }
    with start_serve_local(
        tmp_path, env=env, extra_args=["--rate-limit-per-minute", "7", "--page-latency-ms", "10"]
    ) as srv:
        knobs = srv.knobs()
        assert knobs["rate_limit_per_minute"] == 7
        assert knobs["page_latency_ms"] == 10  # the flag wins over the env var
        assert knobs["fail_next"] == [{"status": 500, "kind": "status", "count": 1}]
        with srv.api() as api:
            assert api.get(OBS).status_code == 500
