"""OTLP ingestion wire formats: protobuf / JSON, gzip / plain, all-or-nothing batches."""

from __future__ import annotations

import gzip

import orjson
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.local.otlp_builders import (
    OTLP_PATH,
    generation,
    json_body,
    post_protobuf,
    protobuf_body,
    read_trace,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("wire")) as srv:
        yield srv


@pytest.fixture
def api(server):
    with server.api() as client:
        yield client


def test_protobuf_plain_and_gzip_and_json_all_store_the_span(api):
    plain, zipped, as_json = generation("plain"), generation("zipped"), generation("json")
    assert post_protobuf(api, [plain]).status_code == 200
    assert post_protobuf(api, [zipped], compress=True).status_code == 200
    response = api.post(
        OTLP_PATH,
        content=orjson.dumps(json_body([as_json])),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {}
    for span in (plain, zipped, as_json):
        row = read_trace(api, span.trace_hex)[span.id_hex]
        assert row["name"] == span.name
        assert row["type"] == "GENERATION"
        assert row["usageDetails"] == {"input": 100, "output": 20, "total": 120}


def test_a_resent_span_replaces_the_stored_one(api):
    span = generation("first")
    assert post_protobuf(api, [span]).status_code == 200
    span.name = "second"
    assert post_protobuf(api, [span]).status_code == 200
    rows = read_trace(api, span.trace_hex)
    assert [row["name"] for row in rows.values()] == ["second"]


BAD_BODIES = [
    pytest.param(b"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf", "", id="protobuf"),
    pytest.param(b'{"resourceSpans": [', "application/json", "", id="json-syntax"),
    pytest.param(b'{"resourceSpans": {}}', "application/json", "", id="json-not-array"),
    pytest.param(b"\x1f\x8b\x08\x00garbage", "application/x-protobuf", "gzip", id="gzip"),
    pytest.param(b"hello", "text/plain", "", id="content-type"),
]


@pytest.mark.parametrize(("body", "content_type", "encoding"), BAD_BODIES)
def test_malformed_bodies_get_400_with_a_reason(api, server, body, content_type, encoding):
    before = server.stats()["spans_ingested"]
    headers = {"content-type": content_type}
    if encoding:
        headers["content-encoding"] = encoding
    response = api.post(OTLP_PATH, content=body, headers=headers)
    assert response.status_code == 400
    assert "Invalid OTLP trace export" in response.json()["message"]
    assert server.stats()["spans_ingested"] == before


def test_one_bad_span_rejects_the_whole_batch(api):
    good = generation("good")
    bad = generation("bad")
    bad.span_id = b"\x01\x02\x03"  # 3 bytes: not an OTel span id
    response = api.post(
        OTLP_PATH,
        content=gzip.compress(protobuf_body([good, bad])),
        headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"},
    )
    assert response.status_code == 400
    assert "spanId" in response.json()["message"]
    assert read_trace(api, good.trace_hex) == {}


def test_json_with_bad_hex_ids_is_rejected(api):
    document = json_body([generation()])
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "not-hex"
    response = api.post(
        OTLP_PATH, content=orjson.dumps(document), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "traceId" in response.json()["message"]


def test_big_batches_are_mapped_by_worker_processes_all_or_nothing(api, server):
    spans = [generation(f"big-{i}", **{"user.id": f"u{i}"}) for i in range(600)]
    trace = spans[0].trace_id
    for span in spans:
        span.trace_id = trace
    before = server.stats().get("batches_mapped_by_workers", 0)
    assert post_protobuf(api, spans).status_code == 200
    assert server.stats()["batches_mapped_by_workers"] == before + 1
    rows = read_trace(api, spans[0].trace_hex)
    assert {row["id"]: row["userId"] for row in rows.values()} == {
        span.id_hex: f"u{i}" for i, span in enumerate(spans)
    }
    bad = [generation(f"bad-{i}") for i in range(600)]
    bad[-1].parent_span_id = b"\x01"  # only the last span is malformed
    response = post_protobuf(api, bad)
    assert response.status_code == 400
    assert "parentSpanId" in response.json()["message"]
    assert read_trace(api, bad[0].trace_hex) == {}
