"""GET /api/public/v2/metrics agrees with the observations the v2 API serves."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import orjson
import pytest

from cost_pipeline.local.seed import seed_generations
from cost_pipeline_tests.conftest import start_serve_local

DAY = date(2026, 11, 21)
FROM, TO = "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics")
    seed_generations(root / "serve-local", DAY, 3_000, seed=11)
    with start_serve_local(root) as srv:
        yield srv


@pytest.fixture(scope="module")
def rows(server) -> list[dict]:
    out: list[dict] = []
    params = {
        "fromStartTime": FROM,
        "toStartTime": TO,
        "limit": 1000,
        "fields": "core,basic,model,usage,metadata,trace_context",
    }
    with server.api() as api:
        while True:
            body = api.get("/api/public/v2/observations", params=params).json()
            out.extend(body["data"])
            if "cursor" not in body["meta"]:
                return out
            params["cursor"] = body["meta"]["cursor"]


def metrics(server, **query) -> list[dict]:
    body = {"view": "observations", "fromTimestamp": FROM, "toTimestamp": TO, **query}
    with server.api() as api:
        response = api.get("/api/public/v2/metrics", params={"query": orjson.dumps(body).decode()})
    assert response.status_code == 200, response.text
    return response.json()["data"]


ALL_MEASURES = [
    {"measure": "count", "aggregation": "count"},
    {"measure": "totalCost", "aggregation": "sum"},
    {"measure": "inputTokens", "aggregation": "sum"},
    {"measure": "outputTokens", "aggregation": "sum"},
    {"measure": "totalTokens", "aggregation": "sum"},
]


def test_totals_by_model_match_the_observations(server, rows):
    data = metrics(
        server,
        dimensions=[{"field": "providedModelName"}],
        metrics=ALL_MEASURES,
        config={"row_limit": 100},
    )
    expected: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        bucket = expected[row["model"]]
        bucket["count"] += 1
        bucket["cost"] += row["costDetails"].get("total", 0)
        bucket["input"] += row["inputUsage"]
        bucket["output"] += row["outputUsage"]
        bucket["total"] += row["totalUsage"]
    assert {item["providedModelName"] for item in data} == set(expected)
    for item in data:
        want = expected[item["providedModelName"]]
        assert item["count_count"] == want["count"]
        assert (item["sum_totalCost"] or 0) == pytest.approx(want["cost"])
        assert item["sum_inputTokens"] == want["input"]
        assert item["sum_outputTokens"] == want["output"]
        assert item["sum_totalTokens"] == want["total"]
    unknown = next(i for i in data if i["providedModelName"] == "acme-llama-3-70b-internal")
    assert unknown["sum_totalCost"] is None  # unpriced: null in metrics, 0 in the JSON row


def test_tags_dimension_counts_each_tag_and_day_buckets(server, rows):
    data = metrics(
        server,
        dimensions=[{"field": "tags"}],
        timeDimension={"granularity": "day"},
        metrics=[{"measure": "count", "aggregation": "count"}],
        config={"row_limit": 1000},
    )
    expected = Counter(tag for row in rows for tag in row["tags"])
    assert {(i["tags"], i["count_count"]) for i in data} == set(expected.items())
    assert {i["time_dimension"] for i in data} == {"2026-11-21T00:00:00.000Z"}


def test_filters_environment_and_metadata(server, rows):
    data = metrics(
        server,
        metrics=[
            {"measure": "totalCost", "aggregation": "sum"},
            {"measure": "count", "aggregation": "count"},
        ],
        filters=[
            {"column": "environment", "type": "string", "operator": "=", "value": "production"},
            {
                "column": "metadata",
                "type": "stringObject",
                "key": "feature",
                "operator": "=",
                "value": "search",
            },
        ],
    )
    wanted = [
        r
        for r in rows
        if r["environment"] == "production" and r["metadata"].get("feature") == "search"
    ]
    assert data[0]["count_count"] == len(wanted) > 0
    assert data[0]["sum_totalCost"] == pytest.approx(
        sum(r["costDetails"].get("total", 0) for r in wanted)
    )


def test_avg_min_max_and_order_and_row_limit(server, rows):
    data = metrics(
        server,
        dimensions=[{"field": "environment"}],
        metrics=[
            {"measure": "totalTokens", "aggregation": "max"},
            {"measure": "totalTokens", "aggregation": "min"},
            {"measure": "totalTokens", "aggregation": "avg"},
        ],
        orderBy=[{"field": "max_totalTokens", "direction": "desc"}],
        config={"row_limit": 1},
    )
    assert len(data) == 1
    top = max(rows, key=lambda r: r["totalUsage"])
    assert data[0]["environment"] == top["environment"]
    assert data[0]["max_totalTokens"] == top["totalUsage"]


@pytest.mark.parametrize(
    "query",
    [
        {"dimensions": [{"field": "userId"}], "metrics": [{"measure": "count"}]},
        {"metrics": [{"measure": "vibes", "aggregation": "sum"}]},
        {"metrics": [{"measure": "count", "aggregation": "median"}]},
        {"view": "traces", "metrics": [{"measure": "count"}]},
        {"fromTimestamp": TO, "toTimestamp": FROM, "metrics": [{"measure": "count"}]},
        {"metrics": [{"measure": "count"}], "config": {"row_limit": 5000}},
    ],
)
def test_invalid_metric_queries_get_400(server, query):
    body = {"view": "observations", "fromTimestamp": FROM, "toTimestamp": TO, **query}
    with server.api() as api:
        response = api.get("/api/public/v2/metrics", params={"query": orjson.dumps(body).decode()})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request data"
