"""Which windows a load reads, from the day's ingest state."""

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from cost_pipeline.warehouse.plan import (
    FULL,
    INCREMENTAL,
    RESUMED,
    WindowTask,
    plan_load,
    split_window,
)
from cost_pipeline.warehouse.state import ZERO_COUNTERS, PartitionState, WindowState

DAY = date(2026, 11, 20)
START, END = datetime(2026, 11, 20), datetime(2026, 11, 21)


def state(status="complete", high_water=None, windows=()):
    return PartitionState(DAY, status, "full", high_water, START, ZERO_COUNTERS, tuple(windows))


def test_first_load_reads_the_whole_day():
    plan = plan_load(None, DAY)
    assert plan.mode == FULL
    assert plan.windows == (WindowTask(START, END),)


def test_reload_reads_from_high_water_minus_lookback():
    high_water = datetime(2026, 11, 20, 18, 30, 0, 123456)
    plan = plan_load(state(high_water=high_water), DAY, lookback=timedelta(hours=2))
    assert plan.mode == INCREMENTAL
    assert plan.windows == (WindowTask(datetime(2026, 11, 20, 16, 30, 0, 123000), END),)


def test_lookback_never_reaches_into_the_previous_day():
    plan = plan_load(state(high_water=datetime(2026, 11, 20, 1)), DAY, lookback=timedelta(hours=5))
    assert plan.windows == (WindowTask(START, END),)
    assert plan.mode == INCREMENTAL


def test_unloaded_traffic_moves_the_start_back_never_forward_nor_before_the_day():
    high_water = datetime(2026, 11, 20, 18)
    early = datetime(2026, 11, 20, 3, 15, 0, 999999)
    plan = plan_load(state(high_water=high_water), DAY, reread_from=early)
    assert plan.windows == (WindowTask(datetime(2026, 11, 20, 3, 15, 0, 999000), END),)
    assert plan.mode == INCREMENTAL
    late = plan_load(state(high_water=high_water), DAY, reread_from=datetime(2026, 11, 20, 17))
    assert late.windows == (WindowTask(datetime(2026, 11, 20, 16), END),)
    before = plan_load(state(high_water=high_water), DAY, reread_from=datetime(2026, 11, 19, 23))
    assert before.windows == (WindowTask(START, END),)


def test_empty_day_is_read_whole_again():
    assert plan_load(state(high_water=None), DAY).mode == FULL


def test_full_refresh_wins_over_everything():
    unfinished = state("running", END, [WindowState(START, END, "open", "cursor-9")])
    plan = plan_load(unfinished, DAY, full_refresh=True)
    assert plan.mode == FULL and plan.windows == (WindowTask(START, END),)


@pytest.mark.parametrize("status", ["running", "failed"])
def test_unfinished_load_resumes_open_windows_from_their_cursor(status):
    middle, quarter = datetime(2026, 11, 20, 12), datetime(2026, 11, 20, 6)
    windows = [
        WindowState(middle, END, "complete", None),
        WindowState(quarter, middle, "open", "cursor-3"),
        WindowState(START, quarter, "open", None),  # a split's child not started yet
    ]
    plan = plan_load(state(status, datetime(2026, 11, 20, 23), windows), DAY)
    assert plan.mode == RESUMED
    # Only a cursor is marked as saved by an earlier load (Langfuse may refuse it by now).
    assert plan.windows == (
        WindowTask(quarter, middle, "cursor-3", cursor_saved_earlier=True),
        WindowTask(START, quarter),
    )
    assert (plan.window_from, plan.window_to) == (START, middle)


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 24, 1000])
def test_sub_windows_tile_the_range_exactly(parts):
    windows = split_window(START, END, parts)
    edges = sorted((w.window_from, w.window_to) for w in windows)
    assert edges[0][0] == START and edges[-1][1] == END
    assert all(a[1] == b[0] for a, b in pairwise(edges))
    assert all(w.window_from.microsecond % 1000 == 0 for w in windows)
    assert windows[0].window_to == END  # newest first, like the API


def test_sub_windows_must_be_positive():
    with pytest.raises(ValueError, match="sub_windows"):
        split_window(START, END, 0)
