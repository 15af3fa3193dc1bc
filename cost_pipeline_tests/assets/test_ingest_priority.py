"""Fetch threads run at a lower scheduling priority than the writer (Linux, per thread)."""

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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("priority")) as srv:
        yield srv


def fetcher_nice_values(load: Callable[[], Any]) -> tuple[Any, list[tuple[str, int]]]:
    """Run ``load``; (its result, (thread name, nice) each time a thread began a window)."""
    seen: list[tuple[str, int]] = []
    window_code = WindowFetcher._fetch_window.__code__

    def trace(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is window_code:
            seen.append((threading.current_thread().name, own_nice()))

    threading.settrace(trace)
    try:
        return load(), seen
    finally:
        threading.settrace(None)  # type: ignore[arg-type]  # typeshed wants a function


@pytest.mark.parametrize("fetcher_nice", [4, 0])
def test_a_load_fetches_below_the_writer(server, tmp_path, fetcher_nice):
    day = BASE_DAY - timedelta(days=3 + fetcher_nice)
    server.inject(spread_over(day, 2500, f"nice{fetcher_nice}"))
    writer_nice = own_nice()  # in-process, the step (and its writer) runs on this thread
    database = tmp_path / "w.duckdb"
    result, seen = fetcher_nice_values(
        lambda: materialize(server, database, day, fetcher_nice=fetcher_nice, page_limit=500)
    )
    assert result.success
    assert loaded_ids(database, day) == truth(server, day)
    assert seen, "no fetch thread began a window"
    expected = min(MAX_NICE, writer_nice + fetcher_nice)
    assert {(name.startswith("fetch-"), nice) for name, nice in seen} == {(True, expected)}
    assert own_nice() == writer_nice
