from datetime import UTC, datetime, timedelta, timezone

import pytest

from cost_pipeline.langfuse.query import COST_FIELD_GROUPS, ObservationWindow, iso_utc

DAY = datetime(2026, 11, 20)


def test_every_page_sends_the_same_filters_and_never_io():
    window = ObservationWindow(DAY, DAY + timedelta(days=1), expand_metadata=("feature", "team"))
    first = dict(window.params(None))
    later = dict(window.params("CURSOR"))
    assert later.pop("cursor") == "CURSOR"
    assert first == later
    assert first == {
        "type": "GENERATION",
        "fromStartTime": "2026-11-20T00:00:00.000Z",
        "toStartTime": "2026-11-21T00:00:00.000Z",
        "limit": "1000",
        "fields": "core,basic,time,model,usage,metadata,trace_context",
        "expandMetadata": "feature,team",
    }
    assert "io" not in COST_FIELD_GROUPS


def test_iso_is_utc_with_milliseconds():
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 11, 20, 2, 0, 0, 123999, tzinfo=plus_two)) == (
        "2026-11-20T00:00:00.123Z"
    )
    assert iso_utc(datetime(2026, 11, 20, tzinfo=UTC)) == "2026-11-20T00:00:00.000Z"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 1001},
        {"fields": ("core", "io")},
        {"to_start": DAY},
    ],
)
def test_invalid_windows_are_refused(kwargs):
    args = {"from_start": DAY, "to_start": DAY + timedelta(hours=1), **kwargs}
    with pytest.raises(ValueError):
        ObservationWindow(**args)
