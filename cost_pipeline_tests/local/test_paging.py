"""Cursor paging over 2,500 generations, many sharing a start time: each id exactly once.

Also validates every page against our own ObservationsV2Response schema.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from cost_pipeline.local.seed import seed_generations
from cost_pipeline_tests.conftest import start_serve_local

DAY = date(2026, 11, 20)
WINDOW = {"fromStartTime": "2026-11-20T00:00:00Z", "toStartTime": "2026-11-21T00:00:00Z"}
SEEDED = 2_440
TIED = 60  # injected: same start time AND same trace, so only the id orders them
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "schemas" / "observations_v2_response.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("paging")
    seed_generations(root / "serve-local", DAY, SEEDED, seed=3)
    with start_serve_local(root) as srv:
        tied = [
            {
                "id": f"tied-{i:03d}",
                "traceId": "same-trace",
                "startTime": "2026-11-20T12:00:00.000Z",
                "projectId": "serve-local",
                "type": "GENERATION",
            }
            for i in range(TIED)
        ]
        assert srv.inject(tied) == TIED
        yield srv


def page_all(server, limit: int, fields: str = "core") -> list[dict]:
    rows: list[dict] = []
    params = dict(WINDOW, limit=limit, type="GENERATION", fields=fields)
    with server.api() as api:
        while True:
            body = api.get("/api/public/v2/observations", params=params).raise_for_status().json()
            VALIDATOR.validate(body)
            assert len(body["data"]) <= limit
            rows.extend(body["data"])
            cursor = body["meta"].get("cursor")
            if cursor is None:
                assert body["meta"] == {}
                return rows
            params["cursor"] = cursor


def sort_key(row: dict) -> tuple[str, str, str]:
    return (row["startTime"], row["traceId"], row["id"])


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_every_id_exactly_once_in_order(server, limit):
    rows = page_all(server, limit)
    ids = [row["id"] for row in rows]
    truth = server.truth(WINDOW["fromStartTime"], WINDOW["toStartTime"])
    assert len(ids) == len(set(ids)) == SEEDED + TIED
    assert sorted(ids) == truth
    assert [sort_key(r) for r in rows] == sorted((sort_key(r) for r in rows), reverse=True)


def test_seeded_day_really_has_equal_start_times(server):
    rows = page_all(server, 1000)
    starts = [row["startTime"] for row in rows]
    assert len(starts) - len(set(starts)) > SEEDED // 10


def test_all_field_groups_validate_and_unrequested_groups_are_absent(server):
    every = "core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context"
    with server.api() as api:
        for fields in ("core,basic", every, "core,model,usage", "nonsense"):
            body = api.get(
                "/api/public/v2/observations", params=dict(WINDOW, limit=50, fields=fields)
            ).json()
            VALIDATOR.validate(body)
            row = next(r for r in body["data"] if not r["id"].startswith("tied-"))
            assert ("usageDetails" in row) == ("usage" in fields)
            assert ("metadata" in row) == ("metadata" in fields)
            assert ("input" in row) == ("io" in fields)
            assert ("name" in row) == (fields in ("core,basic", every))
            assert "latency" in row  # metrics are always present
            if "model" in fields:
                assert row["modelId"] is None or isinstance(row["inputPrice"], str)
            else:
                assert row["inputPrice"] is None


def test_default_limit_is_50_and_filters_narrow(server):
    with server.api() as api:
        body = api.get("/api/public/v2/observations", params=WINDOW).json()
        assert len(body["data"]) == 50
        assert set(body["data"][0]) >= {"id", "name", "userId", "environment"}
        staging = api.get(
            "/api/public/v2/observations", params=dict(WINDOW, environment="staging", limit=1000)
        ).json()
        assert staging["data"]
        assert {row["environment"] for row in staging["data"]} == {"staging"}
        both = api.get(
            "/api/public/v2/observations",
            params=[
                *WINDOW.items(),
                ("environment", "staging"),
                ("environment", "production"),
                ("limit", "1000"),
            ],
        ).json()
        assert len(both["data"]) > len(staging["data"])
        narrow = api.get(
            "/api/public/v2/observations",
            params={
                "fromStartTime": "2026-11-20T12:00:00.000Z",
                "toStartTime": "2026-11-20T12:00:00.001Z",
                "limit": 1000,
            },
        ).json()
        assert {row["id"] for row in narrow["data"]} >= {"tied-000", "tied-059"}


def test_rows_missing_whole_field_groups_are_still_whole_objects(tmp_path):
    # Each object is built without its first group's leading comma; rows lacking the keys of
    # that group (injected as served, here with none of the always-served keys either) take
    # another path, and must still be valid JSON objects.
    nulls = {"modelId": None, "inputPrice": None, "outputPrice": None, "totalPrice": None}
    with start_serve_local(tmp_path) as srv:
        srv.inject(
            [
                {"_listStartTime": "2026-11-20T12:00:00.000Z"},
                {"_listStartTime": "2026-11-20T11:00:00.000Z", "name": "only-basic"},
                {"_listStartTime": "2026-11-20T10:00:00.000Z", "custom": 1},
                # Non-ASCII before a served slice: slices count bytes, not characters.
                {
                    "_listStartTime": "2026-11-20T09:00:00.000Z",
                    "name": "héllo wörld",
                    "usageDetails": {"input": 1},
                },
            ]
        )
        with srv.api() as api:
            for fields in ("core", "basic", "basic,usage,metadata", "time,io", "core,usage"):
                params = dict(WINDOW, limit=1000, fields=fields)
                body = api.get("/api/public/v2/observations", params=params).raise_for_status()
                named = {"name": "only-basic"} if "basic" in fields else {}
                accented = {"name": "héllo wörld"} if "basic" in fields else {}
                used = {"usageDetails": {"input": 1}} if "usage" in fields else {}
                assert json.loads(body.content)["data"] == [
                    nulls,
                    {**named, **nulls},
                    {"custom": 1, **nulls},
                    {**accented, **used, **nulls},
                ], fields
