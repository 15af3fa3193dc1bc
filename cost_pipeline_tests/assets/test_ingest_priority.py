"""Fetch threads of a fast network run at a lower scheduling priority than the writer (Linux,
per thread); on a slow one they keep the writer's."""

import os
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any

import pytest

from cost_pipeline.assets.ingest_fetch import WindowFetcher
from cost_pipeline.assets.ingest_priority import MAX_NICE, lower_this_thread_priority
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    loaded_ids,
    materialize,
    spread_over,
    truth,
)

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's"),
    pytest.mark.xdist_group("ingest_priority"),
]


def own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def in_a_thread(work: Callable[[], Any]) -> tuple[Any, int]:
    """What ``work`` returned in a new thread, and that thread's nice value afterwards."""
    seen: dict[str, Any] = {}

    def run() -> None:
        seen["returned"] = work()
        seen["nice"] = own_nice()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen["returned"], seen["nice"]


def test_only_the_calling_thread_is_lowered():
    before = own_nice()
    returned, nice = in_a_thread(lambda: lower_this_thread_priority(3))
    assert nice == returned == min(MAX_NICE, before + 3)
    assert own_nice() == before


def test_zero_leaves_the_thread_as_it_is():
    before = own_nice()
    assert in_a_thread(lambda: lower_this_thread_priority(0)) == (None, before)


def test_the_nice_value_stops_at_the_lowest_priority():
    assert in_a_thread(lambda: lower_this_thread_priority(50)) == (MAX_NICE, MAX_NICE)


def test_a_thread_gives_way_once():
    before = own_nice()
    returned, nice = in_a_thread(
        lambda: (lower_this_thread_priority(2), lower_this_thread_priority(2))
    )
    assert returned == (min(MAX_NICE, before + 2), None)
    assert nice == min(MAX_NICE, before + 2)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("priority")) as srv:
        yield srv


def nice_after_each_window(load: Callable[[], Any]) -> tuple[Any, list[tuple[str, int]]]:
    """Run ``load``; (its result, (thread name, nice) each time a thread finished a window)."""
    seen: list[tuple[str, int]] = []
    window_code = WindowFetcher._fetch_window.__code__

    def on_return(frame: FrameType, event: str, arg: object) -> None:
        if event == "return":
            seen.append((threading.current_thread().name, own_nice()))

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., None] | None:
        return on_return if frame.f_code is window_code else None

    threading.settrace(trace)
    try:
        return load(), seen
    finally:
        threading.settrace(None)  # type: ignore[arg-type]  # typeshed wants a function


@pytest.mark.parametrize(
    ("days_back", "run_config", "lowered_by"),
    [
        # Every page counts as fast (serve-local on this machine takes ~10-50 ms, under the
        # default 100 ms, but a busy CI machine need not): the writer sets the pace.
        (3, {"split_latency_ms": 60_000}, 5),
        (4, {"split_latency_ms": 60_000, "fetcher_nice": 0}, 0),
        # Every page counts as slow (a far network): the fetchers set the pace.
        (5, {"split_latency_ms": 0}, 0),
    ],
)
def test_fetch_threads_give_way_to_the_writer_on_a_fast_network(
    server, tmp_path, days_back, run_config, lowered_by
):
    day = BASE_DAY - timedelta(days=days_back)
    server.inject(spread_over(day, 2500, f"nice-{days_back}"))
    writer_nice = own_nice()  # in-process, the step (and its writer) runs on this thread
    database = tmp_path / "w.duckdb"
    result, seen = nice_after_each_window(
        lambda: materialize(server, database, day, page_limit=500, **run_config)
    )
    assert result.success
    assert loaded_ids(database, day) == truth(server, day)
    assert seen, "no fetch thread finished a window"
    assert {name.split("-")[0] for name, _ in seen} == {"fetch"}
    assert {nice for _, nice in seen} == {min(MAX_NICE, writer_nice + lowered_by)}
    assert own_nice() == writer_nice
