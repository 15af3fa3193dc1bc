"""One odd span never costs its batch: absurd token counts are stored exactly as sent (the loader
rejects them with a reason), and a span serve-local cannot store is left out and reported in
OTLP's partial_success while the rest of the export is stored."""

from __future__ import annotations

import json

import orjson
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.local.otlp_builders import (
    OTLP_PATH,
    OtlpSpan,
    generation,
    json_body,
    post_protobuf,
    read_trace,
)

I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1
ODD_USAGE = [
    # (usage_details as sent, usageDetails as served)
    ({"input": I64_MAX, "output": 10}, {"input": I64_MAX, "output": 10, "total": I64_MAX + 10}),
    ({"input": U64_MAX, "output": 10}, {"input": U64_MAX, "output": 10, "total": U64_MAX + 10}),
    ({"input": U64_MAX + 1}, {"input": U64_MAX + 1, "total": U64_MAX + 1}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("odd-spans")) as srv:
        yield srv


@pytest.fixture
def api(server):
    with server.api() as client:
        yield client


def _odd(usage: dict[str, int], trace_of: OtlpSpan | None = None) -> OtlpSpan:
    # As the SDK writes usage_details: json.dumps, which keeps every integer exact.
    span = generation("odd", **{"langfuse.observation.usage_details": json.dumps(usage)})
    if trace_of is not None:
        span.trace_id = trace_of.trace_id
    return span


@pytest.mark.parametrize(("sent", "served"), ODD_USAGE)
def test_a_token_count_at_the_64_bit_limit_is_stored_exactly_with_its_batch(api, sent, served):
    first, second = generation("first"), generation("second")
    second.trace_id = first.trace_id
    odd = _odd(sent, trace_of=first)
    response = post_protobuf(api, [first, odd, second])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    rows = read_trace(api, first.trace_hex, fields="core,usage")
    assert set(rows) == {first.id_hex, odd.id_hex, second.id_hex}
    # Exactly as sent, digits and all: the loader must see the absurd count to reject it.
    assert rows[odd.id_hex]["usageDetails"] == served
    assert rows[odd.id_hex]["inputUsage"] == served["input"]
    assert rows[first.id_hex]["usageDetails"] == {"input": 100, "output": 20, "total": 120}


def test_a_batch_mapped_by_worker_processes_keeps_its_odd_span(api, server):
    spans = [generation(f"bulk-{index}") for index in range(300)]  # > 16 KB: the pool maps it
    odd = _odd({"input": I64_MAX, "output": 10})
    before = server.stats().get("batches_mapped_by_workers", 0)
    response = post_protobuf(api, [*spans[:150], odd, *spans[150:]])
    assert response.status_code == 200, response.text
    assert server.stats()["batches_mapped_by_workers"] == before + 1
    assert read_trace(api, odd.trace_hex, fields="core,usage")[odd.id_hex]["totalUsage"] == (
        I64_MAX + 10
    )
    assert all(read_trace(api, span.trace_hex, fields="core") for span in spans[::50])


def test_a_span_that_cannot_be_stored_is_reported_and_the_others_are_stored(api, server):
    kept, lost = generation("kept"), generation("lost")
    lost.trace_id = kept.trace_id
    lost.start_ns = 10**25  # OTLP/JSON times are decimal strings: year 316889355, beyond SQLite
    before = server.stats().get("spans_rejected", 0)
    response = api.post(OTLP_PATH, json=json_body([kept, lost]))
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"  # int64: a string in the protobuf JSON mapping
    assert partial["errorMessage"].startswith(f"span {lost.id_hex}: start time")
    assert set(read_trace(api, kept.trace_hex, fields="core")) == {kept.id_hex}
    assert server.stats()["spans_rejected"] == before + 1


def test_injected_rows_with_absurd_counts_are_stored_as_given(api, server):
    rows = [
        {
            "id": f"injected-odd-{index}",
            "traceId": f"{index:032x}",
            "type": "GENERATION",
            "startTime": "2026-11-23T12:00:00.000Z",
            "usageDetails": usage,
            "totalUsage": usage.get("total"),
        }
        for index, usage in enumerate(
            [{"input": I64_MAX, "output": 10, "total": I64_MAX + 10}, {"input": U64_MAX}]
        )
    ]
    assert server.inject(rows) == 2
    for row in rows:
        served = read_trace(api, row["traceId"], fields="core,usage")[row["id"]]
        assert served["usageDetails"] == row["usageDetails"]


def test_the_metrics_api_still_sums_a_day_with_absurd_counts(api):
    normal = generation("normal")
    assert post_protobuf(api, [normal, _odd({"input": I64_MAX, "output": 10})]).status_code == 200
    query = {
        "view": "observations",
        "fromTimestamp": "2026-11-24T00:00:00Z",
        "toTimestamp": "2026-11-25T00:00:00Z",
        "metrics": [{"measure": "inputTokens", "aggregation": "sum"}],
    }
    response = api.get("/api/public/v2/metrics", params={"query": orjson.dumps(query).decode()})
    assert response.status_code == 200, response.text
    assert response.json()["data"][0]["sum_inputTokens"] > I64_MAX
