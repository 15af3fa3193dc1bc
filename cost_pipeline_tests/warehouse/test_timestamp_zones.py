"""Every timestamp is read on its own: a named time zone in one row never shifts another row.

DuckDB 1.4.4's varchar -> timestamptz cast keeps the last zone name it read (``... Asia/Tokyo``)
and applies it to the offset-less values after it in the same vector. So zone names are rejected
(not ISO-8601) before that cast; ``Z`` and numeric offsets are converted, offset-less text is UTC.
Batches mix all of them in several orders, on the parser's fast and robust reads, and one real
load reproduces the review's finding end to end.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from cost_pipeline.warehouse.parse import stage_batch
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    day_start,
    failure_text,
    materialize_day,
    query,
)
from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import LOADED_AT, Stager

NOT_ISO = "startTime is not an ISO-8601 timestamp: "

# (id, startTime as sent, the start_time it must load at, or None: rejected as not ISO-8601)
NOV_21: list[tuple[str, str, datetime | None]] = [
    ("zone-tokyo", "2026-11-21 10:00:00 Asia/Tokyo", None),
    ("naive-ms", "2026-11-21T05:00:00.000", datetime(2026, 11, 21, 5)),
    ("utc-langfuse", "2026-11-21T06:00:00.250Z", datetime(2026, 11, 21, 6, 0, 0, 250000)),
    ("utc-seconds", "2026-11-21T06:30:00Z", datetime(2026, 11, 21, 6, 30)),
    ("offset-colon", "2026-11-21T11:30:00.123+02:00", datetime(2026, 11, 21, 9, 30, 0, 123000)),
    ("offset-hhmm", "2026-11-21T04:00:00-0530", datetime(2026, 11, 21, 9, 30)),
    ("offset-hh", "2026-11-21T20:00:00+09", datetime(2026, 11, 21, 11)),
    ("zone-new-york", "2026-11-21 10:00:00 America/New_York", None),
    ("naive-space", "2026-11-21 07:15:00", datetime(2026, 11, 21, 7, 15)),
    ("zone-abbreviation", "2026-11-21 10:00:00 EST", None),
    ("naive-date", "2026-11-21", datetime(2026, 11, 21)),
    ("zone-bracket", "2026-11-21T10:00:00+01:00[Europe/Paris]", None),
    ("naive-micros", "2026-11-21T08:00:00.123456", datetime(2026, 11, 21, 8, 0, 0, 123000)),
    ("zone-utc-name", "2026-11-21 10:00:00 UTC", None),
]
ZONES_FIRST = sorted(NOV_21, key=lambda case: not case[0].startswith("zone"))
ZONES_LAST = sorted(NOV_21, key=lambda case: case[0].startswith("zone"))
ORDERS = {
    "zones-first": ZONES_FIRST,
    "zones-last": ZONES_LAST,
    "interleaved": NOV_21,
    "interleaved-reversed": NOV_21[::-1],
}


def stage_day(
    stager: Stager, day: date, rows: list[dict[str, Any]], *, robust: bool
) -> dict[str, dict[str, Any]]:
    """Stage ``rows`` as one page of ``day`` and return the typed rows by id."""
    # A non-object element makes the one-statement read fail: the page is read element by element.
    elements: list[Any] = [*rows, 5] if robust else rows
    window = (day_start(day), day_start(day) + timedelta(days=1))
    staged = stage_batch(stager.conn, stager.spool_pages([page_bytes(elements)], window), LOADED_AT)
    assert staged.robust_pages == (1 if robust else 0)
    typed = stager.rows()
    assert len(typed) == len(elements)
    return {row["id"]: row for row in typed if row["id"] is not None}


def assert_each_row(by_id: dict[str, dict[str, Any]], cases: list[tuple[str, str, Any]]) -> None:
    """Each row's own outcome: its start_time (and partition), or the reject reason."""

    def outcome(row: dict[str, Any]) -> Any:
        if row["reject_reason"] is not None:
            return row["reject_reason"]
        return (row["start_time"], row["partition_date"])

    # Compared as a whole, so a failure lists every shifted row, not only the first.
    actual = {obs_id: outcome(by_id[obs_id]) for obs_id, _, _ in cases}
    expected = {
        obs_id: NOT_ISO + sent if at is None else (at, at.date()) for obs_id, sent, at in cases
    }
    assert actual == expected


@pytest.mark.parametrize("robust", [False, True], ids=["fast-read", "robust-read"])
@pytest.mark.parametrize("order", list(ORDERS))
def test_each_start_time_is_read_on_its_own_in_a_mixed_batch(stager, order, robust):
    cases = ORDERS[order]
    rows = [
        observation(obs_id, datetime(2026, 11, 21, 12), startTime=sent) for obs_id, sent, _ in cases
    ]
    assert_each_row(stage_day(stager, date(2026, 11, 21), rows, robust=robust), cases)


@pytest.mark.parametrize("robust", [False, True], ids=["fast-read", "robust-read"])
def test_a_new_york_row_does_not_shift_offset_less_rows_after_it(stager, robust):
    # The review's second case: these loaded at 15:00 and 05:00 after the New York row.
    cases: list[tuple[str, str, datetime | None]] = [
        ("zone-new-york", "2026-11-19 10:00:00 America/New_York", None),
        ("naive-time", "2026-11-19T10:00:00.000", datetime(2026, 11, 19, 10)),
        ("naive-date", "2026-11-19", datetime(2026, 11, 19)),
        ("utc", "2026-11-19T10:00:00.000Z", datetime(2026, 11, 19, 10)),
    ]
    rows = [
        observation(obs_id, datetime(2026, 11, 19, 12), startTime=sent) for obs_id, sent, _ in cases
    ]
    assert_each_row(stage_day(stager, date(2026, 11, 19), rows, robust=robust), cases)


def test_a_zone_in_end_time_does_not_shift_the_next_rows_end_time(stager):
    start = datetime(2026, 11, 21, 5)
    rows = [
        observation("zoned-end", start, endTime="2026-11-21 14:00:01 Asia/Tokyo"),
        observation("naive-end", start, endTime="2026-11-21T05:00:01.500", latency=None),
        observation("naive-first-token", start, completionStartTime="2026-11-21T05:00:00.200"),
    ]
    by_id = stage_day(stager, date(2026, 11, 21), rows, robust=False)
    assert by_id["naive-end"]["end_time"] == datetime(2026, 11, 21, 5, 0, 1, 500000)
    assert by_id["naive-end"]["latency_s"] == 1.5
    first_token = by_id["naive-first-token"]["completion_start_time"]
    assert first_token == datetime(2026, 11, 21, 5, 0, 0, 200000)
    # The row itself loads (its start time is fine); a zone name is not ISO-8601: not guessed.
    assert by_id["zoned-end"]["reject_reason"] is None
    assert by_id["zoned-end"]["end_time"] is None


def test_a_zone_row_before_many_offset_less_rows_shifts_none_of_them(stager):
    # More rows than one DuckDB vector (2048): the zone must not reach any of them.
    day = datetime(2026, 11, 21)
    rows = [observation("zone", day, startTime="2026-11-21 09:00:00 Asia/Tokyo")]
    rows += [
        observation(f"naive-{i}", day, startTime=f"2026-11-21T05:00:{i % 60:02d}")
        for i in range(2500)
    ]
    by_id = stage_day(stager, date(2026, 11, 21), rows, robust=False)
    zone = by_id.pop("zone")
    shifted = [
        obs_id
        for obs_id, row in by_id.items()
        if row["start_time"] != datetime(2026, 11, 21, 5, 0, int(obs_id[6:]) % 60)
        or row["reject_reason"] is not None
    ]
    assert shifted == []
    assert zone["reject_reason"] == NOT_ISO + "2026-11-21 09:00:00 Asia/Tokyo"


@pytest.mark.parametrize("zone_first", [True, False], ids=["zone-first", "zone-last"])
def test_a_real_load_sets_aside_the_zone_row_and_loads_its_neighbour_on_time(
    serve_local, tmp_path: Path, zone_first: bool
):
    day = date(2026, 11, 21)
    listed_at = day_start(day) + timedelta(hours=5)
    zone = observation("zone", listed_at, startTime="2026-11-21 10:00:00 Asia/Tokyo")
    naive = observation("naive", listed_at, startTime="2026-11-21T05:00:00.000")
    utc = observation("utc", listed_at + timedelta(hours=1))
    # Listed newest first: the row listed a millisecond later comes first on the page.
    first, second = (zone, naive) if zone_first else (naive, zone)
    first["_listStartTime"] = "2026-11-21T05:00:00.001Z"
    second["_listStartTime"] = "2026-11-21T05:00:00.000Z"
    serve_local.inject([first, second, utc])
    database = tmp_path / "warehouse.duckdb"

    result = materialize_day(serve_local, database, day)

    assert result.success, failure_text(result)
    loaded = dict(query(database, "select id, start_time from raw_generations"))
    assert loaded == {"naive": datetime(2026, 11, 21, 5), "utc": datetime(2026, 11, 21, 6)}
    rejected = query(database, "select id, reason, raw from rejected_generations")
    assert [(obs_id, reason) for obs_id, reason, _ in rejected] == [
        ("zone", NOT_ISO + "2026-11-21 10:00:00 Asia/Tokyo")
    ]
    assert orjson.loads(rejected[0][2])["startTime"] == "2026-11-21 10:00:00 Asia/Tokyo"
    assert_exactly_the_truth(serve_local, database, day, rejected={"zone"})
