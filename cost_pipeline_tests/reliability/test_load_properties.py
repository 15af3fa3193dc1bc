"""Property-based, end to end: whatever observations the API serves (odd values, duplicate ids
across pages, start times outside the window, small pages), the load never fails, every id
served is stored once or set aside with a reason, and the metadata counts add up.

Each example is served by serve-local for a day of its own and loaded by the real asset.
"""

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline.warehouse.parse import MAX_TOKENS_PER_OBSERVATION
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import (
    day_start,
    failure_text,
    ids_in,
    materialize_day,
    metadata,
)
from cost_pipeline_tests.warehouse.observations import iso, observation

pytestmark = pytest.mark.xdist_group("reliability_properties")

FIRST_DAY = datetime.now(UTC).date() - timedelta(days=200)
_days = itertools.count()

token = st.one_of(
    st.integers(0, 5000),
    st.integers(-5, -1),
    st.just(MAX_TOKENS_PER_OBSERVATION + 1),
    st.floats(0.1, 9.9),
    st.sampled_from(["7", "", None, True]),
)
usage = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["input", "output", "input_cached_tokens", "total"]), token),
    st.just("many"),
)
metadata_values = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.dictionaries(st.sampled_from(["feature", "team", "x"]), st.text(max_size=12), max_size=3),
)
# Offsets from the day's start in ms: inside the day, or up to a day outside it on either side.
offsets = st.one_of(st.integers(0, 86_399_999), st.integers(-86_400_000, -1),
                    st.integers(86_400_000, 2 * 86_400_000))  # fmt: skip


@st.composite
def served_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 25))
    rows = []
    for index in range(count):
        obs_id = f"id-{draw(st.integers(0, count // 2 + 1))}"  # ids repeat on purpose
        rows.append(
            {
                "id": obs_id,
                "index": index,
                "offset_ms": draw(offsets),
                "usageDetails": draw(usage),
                "metadata": draw(metadata_values),
                "model": draw(st.sampled_from(["gpt-4o", "gpt-4o-mini", "no-such-model", None])),
            }
        )
    return rows


def to_observation(day, row: dict[str, Any]) -> dict[str, Any]:
    start = day_start(day) + timedelta(milliseconds=row["offset_ms"])
    # Listed inside the day (so the API serves it) at a time of its own, whatever its startTime.
    listed = day_start(day) + timedelta(milliseconds=row["index"] * 1000)
    return observation(
        row["id"],
        start,
        usageDetails=row["usageDetails"],
        metadata=row["metadata"],
        model=row["model"],
        costDetails=None,
        _listStartTime=iso(listed),
    )


def usable(row: dict[str, Any]) -> bool:
    """An independent rule: inside the day, and usage an object of plausible token counts."""
    if not 0 <= row["offset_ms"] < 86_400_000:
        return False
    details = row["usageDetails"]
    if details is None:
        return True
    if not isinstance(details, dict):
        return False
    return all(
        value is None or (type(value) is int and 0 <= value <= MAX_TOKENS_PER_OBSERVATION)
        for value in details.values()
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("properties")) as srv:
        yield srv


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=served_rows(), page_limit=st.integers(1, 6))
def test_every_served_id_is_stored_once_or_set_aside(server, tmp_path_factory, rows, page_limit):
    day = FIRST_DAY + timedelta(days=next(_days))
    server.inject([to_observation(day, row) for row in rows], truncate_metadata=False)
    database = tmp_path_factory.mktemp("load") / "w.duckdb"
    result = materialize_day(server, database, day, page_limit=page_limit, batch_pages=2)
    assert result.success, failure_text(result)

    loaded = ids_in(database, "raw_generations", day)
    set_aside = set(ids_in(database, "rejected_generations", day))
    served = {row["id"] for row in rows}
    assert len(loaded) == len(set(loaded))  # each id once
    assert set(loaded) | set_aside == served  # nothing dropped silently
    good = Counter(row["id"] for row in rows if usable(row))
    bad = Counter(row["id"] for row in rows if not usable(row))
    assert set(loaded) == set(good)  # an id is stored when at least one copy is usable
    assert set(bad) - set(good) <= set_aside

    meta = metadata(result)
    assert meta["rows_rejected"] == sum(bad.values())
    assert meta["rows_duplicate"] == sum(good.values()) - len(good)
    assert meta["partition_rows"] == len(good)
