"""A generation whose start time moves across midnight is counted once, on its newest day.

serve-local's injected rows may repeat an id, which models Langfuse still listing the old copy
under the old day next to the updated one under the new day. Whichever day is loaded last, the
copy Langfuse updated last is the one the warehouse keeps.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from cost_pipeline_tests.reliability.support import (
    day_start,
    failure_text,
    ids_in,
    log_messages,
    materialize_day,
    metadata,
)
from cost_pipeline_tests.warehouse.observations import iso, observation

pytestmark = pytest.mark.xdist_group("reliability_cross_day")

DAY = datetime.now(UTC).date() - timedelta(days=90)
NEXT = DAY + timedelta(days=1)
MIDNIGHT = day_start(NEXT)
INSTANCE = dg.DagsterInstance.ephemeral()


def load(server, database, day, **config):
    result = materialize_day(server, database, day, instance=INSTANCE, **config)
    assert result.success, failure_text(result)
    return result


def test_a_generation_moved_to_the_next_day_is_kept_once(serve_local, tmp_path):
    database = tmp_path / "w.duckdb"
    old_start = MIDNIGHT - timedelta(milliseconds=100)
    serve_local.inject(
        [
            observation("moved", old_start, updatedAt=iso(old_start + timedelta(seconds=1))),
            observation("stays", day_start(DAY) + timedelta(hours=12)),
        ]
    )
    first = load(serve_local, database, DAY)
    assert metadata(first)["older_copies_removed"] == {}
    assert ids_in(database, "raw_generations", DAY) == ["moved", "stays"]

    # Re-reported later with a start time after midnight; the old copy is still listed.
    new_start = MIDNIGHT + timedelta(milliseconds=300)
    serve_local.inject(
        [observation("moved", new_start, updatedAt=iso(new_start + timedelta(minutes=5)))]
    )
    second = load(serve_local, database, NEXT)
    assert metadata(second)["older_copies_removed"] == {DAY.isoformat(): 1}
    assert ids_in(database, "raw_generations", DAY) == ["stays"]
    assert ids_in(database, "raw_generations", NEXT) == ["moved"]
    warnings = [m for m in log_messages(INSTANCE, second.run_id) if "moved across" in m]
    assert any("Re-materialize spend_by_feature_team" in m and str(DAY) in m for m in warnings)

    # Loading the old day again brings the stale copy back; it loses to the newer one.
    third = load(serve_local, database, DAY, full_refresh=True)
    assert metadata(third)["older_copies_removed"] == {DAY.isoformat(): 1}
    assert ids_in(database, "raw_generations", DAY) == ["stays"]
    assert ids_in(database, "raw_generations", NEXT) == ["moved"]


def test_copies_two_days_apart_are_outside_the_compared_days(serve_local, tmp_path):
    """Only neighbouring days are compared (cross_day.py says why)."""
    database = tmp_path / "w.duckdb"
    start = day_start(DAY) + timedelta(hours=1)
    later = start + timedelta(days=2)
    serve_local.inject([observation("far", start), observation("far", later)])
    load(serve_local, database, DAY)
    far = load(serve_local, database, DAY + timedelta(days=2))
    assert metadata(far)["older_copies_removed"] == {}
    assert ids_in(database, "raw_generations", DAY) == ["far"]
