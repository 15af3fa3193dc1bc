"""The page parser: typed columns, usage classes, odd-but-usable rows kept, unusable rows named."""

from datetime import datetime, timedelta
from decimal import Decimal

import orjson
import pytest

from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY, LOADED_AT

START = DAY + timedelta(hours=9, minutes=30, milliseconds=123)


def only_row(stager, obs):
    _, rows = stager.stage([page_bytes([obs])])
    assert len(rows) == 1
    return rows[0]


def test_typed_columns_of_a_generation(stager):
    row = only_row(stager, observation("g1", START))
    assert row["reject_reason"] is None
    assert row["id"] == "g1"
    assert row["trace_id"] == "trace-g1"
    assert row["parent_observation_id"] == "span-g1"
    assert row["partition_date"] == DAY.date()
    assert row["start_time"] == START
    assert row["end_time"] == START + timedelta(milliseconds=850)
    assert row["completion_start_time"] == START + timedelta(milliseconds=200)
    assert (row["type"], row["name"], row["level"]) == ("GENERATION", "chat", "DEFAULT")
    assert row["status_message"] is None and row["version"] is None  # "" means unset
    assert (row["user_id"], row["session_id"]) == ("user-1", "session-1")
    assert (row["trace_name"], row["release"], row["environment"]) == (
        "search-request",
        "v1",
        "production",
    )
    assert row["tags"] == ["feature:search", "team:growth"]
    assert (row["model"], row["model_id"]) == ("gpt-4o", "m-gpt-4o")
    assert row["uncached_input_tokens"] == 100
    assert row["cache_read_tokens"] == 30
    assert row["cache_write_tokens"] == 0
    assert row["visible_output_tokens"] == 20
    assert row["reasoning_tokens"] == 0
    assert row["reported_total_tokens"] == 150
    assert row["langfuse_total_cost"] == Decimal("0.00045")
    assert row["langfuse_input_cost"] == Decimal("0.00025")
    assert row["langfuse_output_cost"] == Decimal("0.0002")
    assert row["latency_s"] == pytest.approx(0.85)
    assert row["time_to_first_token_s"] == pytest.approx(0.2)
    assert orjson.loads(row["metadata"]) == {"feature": "search", "team": "growth"}
    assert orjson.loads(row["usage_details"])["input_cached_tokens"] == 30
    assert row["loaded_at"] == LOADED_AT


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # (uncached, cache_read, cache_write, cache_write_1h, output, reasoning, total)
        ({"input": 5, "output": 7}, (5, 0, 0, 0, 7, 0, None)),
        ({"input": 1, "input_cache_read": 9}, (1, 9, 0, 0, 0, 0, None)),
        ({"input": 1, "cache_read_input_tokens": 8}, (1, 8, 0, 0, 0, 0, None)),
        ({"input_cached_tokens": 3, "cache_read_input_tokens": 3}, (0, 3, 0, 0, 0, 0, None)),
        ({"input_cache_creation": 40, "input_cache_creation_1h": 10}, (0, 0, 40, 10, 0, 0, None)),
        ({"input_cache_creation_5m": 4, "input_cache_creation_1h": 6}, (0, 0, 10, 6, 0, 0, None)),
        ({"cache_creation_input_tokens": 12}, (0, 0, 12, 0, 0, 0, None)),
        ({"output": 30, "output_reasoning_tokens": 12}, (0, 0, 0, 0, 30, 12, None)),
        ({"output_reasoning": 5, "total": 5}, (0, 0, 0, 0, 0, 5, 5)),
        ({"input_audio_tokens": 50, "input": 2}, (2, 0, 0, 0, 0, 0, None)),
        ({"input": 99_999_999}, (99_999_999, 0, 0, 0, 0, 0, None)),
        ({}, (0, 0, 0, 0, 0, 0, None)),
    ],
)
def test_usage_classes_from_canonical_keys(stager, usage, expected):
    row = only_row(stager, observation("u", START, usageDetails=usage))
    assert row["reject_reason"] is None
    assert (
        row["uncached_input_tokens"],
        row["cache_read_tokens"],
        row["cache_write_tokens"],
        row["cache_write_1h_tokens"],
        row["visible_output_tokens"],
        row["reasoning_tokens"],
        row["reported_total_tokens"],
    ) == expected


@pytest.mark.parametrize(
    "overrides",
    [
        {"metadata": "just a string"},
        {"metadata": None},
        {"metadata": {"a": {"b": {"c": [1, 2, {"d": None}]}}}},
        {"metadata": {"feature": "x" * 10_000, "team": "quote\" ' \n newline 🚀; drop table x;"}},
        {"model": "definitely-not-a-real-model"},
        {"usageDetails": None, "costDetails": None},
        {"costDetails": {}},
        {"endTime": None, "completionStartTime": None, "latency": None},
        {"tags": [], "userId": "", "sessionId": ""},
        {"startTime": "2026-11-20T11:30:00.123+02:00"},
        {"startTime": "2026-11-20T09:30:00Z"},
    ],
)
def test_odd_but_usable_rows_are_kept(stager, overrides):
    row = only_row(stager, observation("odd", START, **overrides))
    assert row["reject_reason"] is None
    assert row["id"] == "odd"
    assert row["partition_date"] == DAY.date()


def test_odd_values_load_as_documented(stager):
    _, rows = stager.stage(
        [
            page_bytes(
                [
                    observation("offset", START, startTime="2026-11-20T11:30:00.123+02:00"),
                    observation("no-usage", START, usageDetails=None, costDetails={}),
                    observation("blank", START, userId="", sessionId="", tags=[]),
                    observation("no-end", START, endTime=None, latency=None),
                ]
            )
        ]
    )
    by_id = {row["id"]: row for row in rows}
    assert by_id["offset"]["start_time"] == datetime(2026, 11, 20, 9, 30, 0, 123000)
    assert by_id["no-usage"]["uncached_input_tokens"] == 0
    assert by_id["no-usage"]["reported_total_tokens"] is None
    assert by_id["no-usage"]["usage_details"] is None
    assert by_id["no-usage"]["langfuse_total_cost"] is None  # Langfuse had no cost
    assert by_id["no-usage"]["langfuse_input_cost"] is None
    assert by_id["blank"]["user_id"] is None and by_id["blank"]["session_id"] is None
    assert by_id["blank"]["tags"] == []
    assert by_id["no-end"]["end_time"] is None and by_id["no-end"]["latency_s"] is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"id": None}, "missing id"),
        ({"id": ""}, "missing id"),
        ({"id": "x" * 600}, "id longer than 512"),
        ({"startTime": None}, "missing startTime"),
        ({"startTime": "yesterday"}, "startTime is not an ISO-8601 timestamp: yesterday"),
        ({"startTime": "2026-11-21T00:00:00.000Z"}, "outside the requested window"),
        ({"startTime": "2026-11-19T23:59:59.999Z"}, "outside the requested window"),
        ({"usageDetails": "garbage"}, "usageDetails is not a JSON object"),
        ({"usageDetails": [1, 2]}, "usageDetails is not a JSON object"),
        ({"usageDetails": {"input": -5}}, "usageDetails.input is not a plausible token count: -5"),
        ({"usageDetails": {"output": 2.5}}, "usageDetails.output is not a plausible token count"),
        (
            {"usageDetails": {"output": "12"}},
            'usageDetails.output is not a plausible token count: "12"',
        ),
        ({"usageDetails": {"total": 10**12}}, "usageDetails.total is not a plausible token count"),
        (
            {"usageDetails": {"input_cache_creation_1h": None, "output": {"a": 1}}},
            "usageDetails.output",
        ),
        (
            # Summed into cache_write_tokens: must be rejected, not overflow the batch.
            {"usageDetails": {"input_cache_creation_5m": 1, "input_cache_creation_1h": 2**63 - 1}},
            "usageDetails.input_cache_creation_1h is not a plausible token count",
        ),
        (
            {"usageDetails": {"input_cache_creation_5m": -(2**63), "input_cache_creation_1h": -1}},
            "usageDetails.input_cache_creation_5m is not a plausible token count",
        ),
        ({"costDetails": "free"}, "costDetails is not a JSON object"),
        ({"costDetails": {"total": -0.5}}, "costDetails.total is not a plausible USD amount"),
        ({"costDetails": {"total": "1.0"}}, "costDetails.total is not a plausible USD amount"),
        ({"costDetails": {"total": 1e30}}, "costDetails.total is not a plausible USD amount"),
    ],
)
def test_unusable_rows_are_rejected_with_reason_and_raw_json(stager, overrides, reason):
    obs = observation("bad", START, **overrides)
    neighbour = observation("good", START)
    _, rows = stager.stage([page_bytes([neighbour, obs])])
    assert rows[0]["reject_reason"] is None
    rejected = rows[1]
    assert reason in rejected["reject_reason"]
    assert orjson.loads(rejected["raw"]) == obs  # verbatim, for rejected_generations


def test_integers_beyond_64_bits_are_rejected(stager):
    body = page_bytes([observation("big", START, usageDetails={"input": 123456789123})])
    body = body.replace(b"123456789123", b"1180591620717411303424")
    _, rows = stager.stage([body])
    assert "usageDetails.input is not a plausible token count" in rows[0]["reject_reason"]
    assert b"1180591620717411303424" in rows[0]["raw"].encode()


def test_elements_that_are_not_objects_are_rejected_one_by_one(stager):
    body = page_bytes([observation("fine", START), 5, "text", None, [1]])
    staged, rows = stager.stage([body])
    assert staged.corrupt == []
    assert [row["id"] for row in rows if row["reject_reason"] is None] == ["fine"]
    reasons = [row["reject_reason"] for row in rows if row["reject_reason"]]
    assert reasons == ["observation is not a JSON object"] * 4
    assert [orjson.loads(row["raw"]) for row in rows[1:]] == [5, "text", None, [1]]


def test_a_page_that_is_not_json_is_reported_corrupt(stager):
    good = page_bytes([observation("a", START)])
    broken = page_bytes([observation("b", START)])[:-40] + b"garbage"
    staged, rows = stager.stage([good, broken])
    assert [page.seq for page in staged.corrupt] == [2]
    assert [row["id"] for row in rows] == ["a"]


def test_many_pages_in_one_statement_keep_page_order(stager):
    bodies = [
        page_bytes([observation(f"p{page}-{i}", START + timedelta(seconds=i)) for i in range(50)])
        for page in range(4)
    ]
    staged, rows = stager.stage(bodies)
    assert staged.robust_pages == 0
    assert len(rows) == 200
    assert {(row["seq"], row["element_index"]) for row in rows} == {
        (page + 1, i) for page in range(4) for i in range(50)
    }
    assert all(row["id"] == f"p{row['seq'] - 1}-{row['element_index']}" for row in rows)
