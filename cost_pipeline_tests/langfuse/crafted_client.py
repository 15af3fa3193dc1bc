"""The observations client as the client tests drive it: the tests' keys, one day's window, a
crafted server on 127.0.0.1 (crafted_server.py) and a record of what the client warned and
waited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from cost_pipeline.langfuse import ObservationsClient, ObservationWindow, RetryPolicy
from cost_pipeline.settings import LangfuseConnection
from cost_pipeline_tests.langfuse.crafted_server import Answer, CraftedServer, crafted_server
from cost_pipeline_tests.langfuse.leaks import PUBLIC, SECRET

DAY = datetime(2026, 11, 10)
WINDOW = ObservationWindow(DAY, DAY + timedelta(days=1))


class Recorder:
    """The client's log and sleep: what it warned, and each back-off it really waited."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.sleeps: list[float] = []

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)  # the client's real back-off, the thing under test


@contextmanager
def crafted_client(
    answers: list[Answer], recorder: Recorder | None = None, **policy: float
) -> Iterator[tuple[CraftedServer, ObservationsClient]]:
    """A client with the tests' keys against a server giving ``answers``; back-offs of a
    millisecond unless ``policy`` says otherwise."""
    recorder = recorder or Recorder()
    with crafted_server(answers, public_key=PUBLIC, secret_key=SECRET) as server:
        connection = LangfuseConnection(server.base_url, PUBLIC, SECRET)
        retry = RetryPolicy(**{"base_delay_s": 0.001, **policy})
        client = ObservationsClient(connection, policy=retry, log=recorder, sleep=recorder.sleep)
        with client:
            yield server, client
