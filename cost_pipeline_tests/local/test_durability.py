"""Data survives restarts, and a batch acknowledged with 200 survives kill -9."""

from __future__ import annotations

import time

import psutil

from cost_pipeline_tests.local.otlp_builders import generation, post_protobuf


def ids_in_store(server) -> set[str]:
    return set(server.truth("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"))


def test_restart_keeps_data(serve_local):
    spans = [generation(f"g{i}") for i in range(5)]
    with serve_local.api() as api:
        assert post_protobuf(api, spans).status_code == 200
    serve_local.restart()
    assert ids_in_store(serve_local) == {span.id_hex for span in spans}
    with serve_local.api() as api:
        body = api.get("/api/public/v2/observations", params={"limit": 10}).json()
    assert {row["id"] for row in body["data"]} == {span.id_hex for span in spans}


def test_kill9_right_after_200_keeps_every_acknowledged_batch(serve_local):
    acknowledged: set[str] = set()
    with serve_local.api() as api:
        for batch in range(10):
            spans = [generation(f"b{batch}-{i}") for i in range(50)]
            response = post_protobuf(api, spans, compress=batch % 2 == 0)
            assert response.status_code == 200
            acknowledged |= {span.id_hex for span in spans}
    serve_local.kill9()  # no shutdown hook runs: only what was committed can survive
    serve_local.restart()
    assert ids_in_store(serve_local) == acknowledged


def test_ingest_workers_do_not_outlive_a_killed_server(serve_local):
    spans = [generation(f"w{i}") for i in range(600)]  # big enough for the worker processes
    with serve_local.api() as api:
        assert post_protobuf(api, spans).status_code == 200
    assert serve_local.stats()["batches_mapped_by_workers"] == 1
    workers = psutil.Process(serve_local.pid).children(recursive=True)
    assert workers
    serve_local.kill9()
    deadline = time.monotonic() + 20
    while any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers):
        assert time.monotonic() < deadline, "ingest workers outlived the killed server"
        time.sleep(0.1)
    serve_local.restart()
    assert ids_in_store(serve_local) == {span.id_hex for span in spans}
