"""Run the real raw_generations asset against a serve-local and hold the result to the truth.

Every reliability test ends with ``assert_exactly_the_truth``: the ids in ``raw_generations``
(plus those set aside in ``rejected_generations``) equal the ids serve-local stores for the day,
each exactly once. serve-local's ``/admin/truth`` lists every stored id, visible yet or not.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cost_pipeline_tests.warehouse.loading import (
    day_start,
    failure_text,
    log_messages,
    metadata,
    query,
    truth,
)
from cost_pipeline_tests.warehouse.loading import materialize as materialize_day

__all__ = [  # the loading helpers are shared with the warehouse tests
    "assert_exactly_the_truth",
    "day_start",
    "failure_text",
    "ids_in",
    "ingest_state",
    "log_messages",
    "materialize_day",
    "metadata",
    "query",
    "truth",
]


def ids_in(database: Path, table: str, day: date) -> list[str]:
    rows = query(database, f"select id from {table} where partition_date = ? order by id", [day])
    return [row[0] for row in rows]


def assert_exactly_the_truth(
    server: Any, database: Path, day: date, *, rejected: set[str] | None = None
) -> None:
    """Loaded + rejected ids equal the server's ids for ``day``; nothing twice, nothing lost."""
    loaded = ids_in(database, "raw_generations", day)
    all_set_aside = ids_in(database, "rejected_generations", day)
    # A row without an id is listed by the server as "" and kept aside with id null.
    set_aside = [obs_id for obs_id in all_set_aside if obs_id]
    assert len(loaded) == len(set(loaded)), "an id is in raw_generations twice"
    assert len(set_aside) == len(set(set_aside)), "an id is in rejected_generations twice"
    assert set(set_aside) == (rejected or set()), "unexpected rejected rows"
    assert not set(loaded) & set(set_aside), "an id is both loaded and rejected"
    expected = truth(server, day)
    assert expected.count("") == len(all_set_aside) - len(set_aside), "a row without an id"
    expected = [obs_id for obs_id in expected if obs_id]
    missing = sorted(set(expected) - set(loaded) - set(set_aside))
    extra = sorted(set(loaded) - set(expected))
    assert not missing and not extra, f"lost {missing[:5]} (+{len(missing)}), extra {extra[:5]}"
    assert sorted(loaded + set_aside) == expected


def ingest_state(database: Path, day: date) -> dict[str, Any]:
    cursor_rows = query(
        database,
        "select status, mode, pages, rows_loaded, api_requests, error from ingest_state "
        "where partition_date = ?",
        [day],
    )
    names = ("status", "mode", "pages", "rows_loaded", "api_requests", "error")
    return dict(zip(names, cursor_rows[0], strict=True)) if cursor_rows else {}
