"""Sub-window splitting: where a dense window is cut, and the queue its fetchers share."""

import base64
import threading
from datetime import datetime, timedelta
from itertools import pairwise

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cost_pipeline.langfuse.windows import (
    MS,
    PageTimes,
    SplitPolicy,
    WindowQueue,
    cursor_start_time,
    split_range,
)

DAY = datetime(2026, 11, 20)
NEXT = DAY + timedelta(days=1)


def cursor(moment: datetime, urlsafe: bool = False) -> str:
    payload = orjson.dumps(
        {"lastStartTimeTo": moment.isoformat(timespec="milliseconds") + "Z", "lastTraceId": "t"}
    )
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(payload).decode()


def test_the_cursor_tells_where_the_last_row_started():
    moment = datetime(2026, 11, 20, 13, 45, 1, 250000)
    assert cursor_start_time(cursor(moment)) == moment
    assert cursor_start_time(cursor(moment, urlsafe=True).rstrip("=")) == moment
    assert cursor_start_time("not a cursor at all") is None
    assert cursor_start_time(base64.b64encode(b'{"other": 1}').decode()) is None
    assert cursor_start_time(None) is None


def tiles(windows, start, end) -> bool:
    edges = sorted(windows)
    return (
        edges[0][0] == start
        and edges[-1][1] == end
        and all(a[1] == b[0] for a, b in pairwise(edges))
        and all(a < b for a, b in edges)
    )


@given(
    span_ms=st.integers(1, 3 * 86_400_000),
    parts=st.integers(1, 40),
    offset_us=st.integers(0, 999),
)
def test_split_ranges_tile_exactly_on_millisecond_edges(span_ms, parts, offset_us):
    start = DAY + timedelta(milliseconds=offset_us)
    end = start + timedelta(milliseconds=span_ms)
    windows = split_range(start, end, parts)
    assert tiles(windows, start, end)
    assert len(windows) <= parts
    assert windows[0][1] == end  # newest first, like the API
    inner = [a for a, _ in windows if a != start]
    assert all(edge.microsecond % 1000 == 0 for edge in inner)


POLICY = SplitPolicy(max_concurrency=8, target_pages=20, min_page_seconds=0.1)


def test_a_dense_slow_window_is_split_into_children_that_tile_the_rest():
    # One page covered the last 5 minutes of the day: about 287 pages are left.
    last = NEXT - timedelta(minutes=5)
    split = POLICY.split((DAY, NEXT), NEXT, 1, cursor(last), 0.3)
    assert split is not None
    assert split.finished_from == last + MS
    assert len(split.children) == 15  # ceil(287 / 20)
    assert tiles([*split.children, (split.finished_from, NEXT)], DAY, NEXT)


def test_children_follow_the_density_seen_over_several_pages():
    # Three pages covered 3 hours: ~21 hours left are ~21 pages, about one child's worth.
    last = NEXT - timedelta(hours=3)
    assert POLICY.split((DAY, NEXT), NEXT, 3, cursor(last), 0.3) is None
    # The same 3 hours in 30 pages: ~210 pages left -> ceil(210 / 20) = 11 children.
    split = POLICY.split((DAY, NEXT), NEXT, 30, cursor(last), 0.3)
    assert split is not None and len(split.children) == 11


@pytest.mark.parametrize(
    ("policy", "page_s", "next_cursor"),
    [
        (SplitPolicy(max_concurrency=1), 0.3, cursor(NEXT - timedelta(minutes=1))),
        (POLICY, 0.02, cursor(NEXT - timedelta(minutes=1))),  # a fast network
        (POLICY, None, cursor(NEXT - timedelta(minutes=1))),  # too few pages seen yet
        (POLICY, 0.3, None),  # the window is done
        (POLICY, 0.3, "opaque-cursor"),  # a server whose cursor we cannot read
        (POLICY, 0.3, cursor(NEXT + timedelta(minutes=1))),  # a cursor outside the window
    ],
)
def test_windows_that_are_not_split(policy, page_s, next_cursor):
    assert policy.split((DAY, NEXT), NEXT, 1, next_cursor, page_s) is None


def test_pages_that_stay_in_the_millisecond_they_began_at_are_not_split():
    # A child [DAY, t + 1 ms) left by an earlier split at t, whose first page is all ties at t:
    # no part of it is finished, so there is nothing to split off.
    t = DAY + timedelta(hours=12)
    assert POLICY.split((DAY, t + MS), t + MS, 1, cursor(t), 0.3) is None
    # Resumed from a cursor at t and still at t: the same.
    assert POLICY.split((DAY, NEXT), t, 3, cursor(t), 0.3) is None
    # One millisecond of progress is enough.
    assert POLICY.split((DAY, t + MS), t + MS, 1, cursor(t - MS), 0.3) is not None


def test_slow_pages_are_not_split_while_the_writer_is_behind():
    # Pages slow because the machine is busy, not the network: the queue is full.
    last = NEXT - timedelta(minutes=5)
    waiting = POLICY.max_pages_waiting
    assert POLICY.split((DAY, NEXT), NEXT, 1, cursor(last), 0.3, pages_waiting=waiting) is None
    assert POLICY.split((DAY, NEXT), NEXT, 1, cursor(last), 0.3, pages_waiting=waiting - 1)


def test_a_resumed_window_measures_density_from_its_cursor():
    resumed_at = DAY + timedelta(hours=12)
    last = resumed_at - timedelta(minutes=1)
    split = POLICY.split((DAY, NEXT), resumed_at, 1, cursor(last), 0.3)
    assert split is not None
    assert tiles([*split.children, (split.finished_from, NEXT)], DAY, NEXT)


def test_no_more_children_than_the_maximum():
    last = NEXT - timedelta(seconds=30)  # ~2,900 pages left
    split = POLICY.split((DAY, NEXT), NEXT, 1, cursor(last), 0.3)
    assert split is not None and len(split.children) == POLICY.max_children


def test_children_are_never_shorter_than_the_minimum_span():
    start = NEXT - timedelta(seconds=3)
    split = POLICY.split((start, NEXT), NEXT, 1, cursor(NEXT - timedelta(milliseconds=10)), 0.3)
    assert split is not None and len(split.children) == 2


def test_typical_page_time_is_a_median_once_enough_pages_are_seen():
    times = PageTimes(keep=5, at_least=3)
    assert times.add(2.0) is None  # a slow first page alone decides nothing
    assert times.add(0.01) is None
    assert times.add(0.02) == 0.02


def test_fetchers_wait_for_children_while_a_window_is_active():
    queue = WindowQueue(["day"])
    stop = threading.Event()
    assert queue.take(stop) == "day"
    taken: list[str | None] = []
    waiter = threading.Thread(target=lambda: taken.append(queue.take(stop)))
    waiter.start()
    queue.add(["child-a", "child-b"])  # the active window split
    waiter.join(timeout=10)
    assert taken == ["child-a"]
    queue.done()  # "day" finished
    assert queue.take(stop) == "child-b"
    queue.done()
    queue.done()
    assert queue.take(stop) is None  # nothing waiting, nothing active: every window is done


def test_a_stopped_load_releases_waiting_fetchers():
    queue = WindowQueue(["day"])
    stop = threading.Event()
    queue.take(stop)
    result: list[str | None] = ["unset"]
    waiter = threading.Thread(target=lambda: result.__setitem__(0, queue.take(stop)))
    waiter.start()
    stop.set()
    queue.wake_all()
    waiter.join(timeout=10)
    assert result == [None]
