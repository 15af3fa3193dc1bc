"""Opening a generation span on langfuse 4.18.x and 5.0.x, optionally at an explicit start time.

Both majors record with ``start_as_current_observation(as_type="generation")``. Neither accepts
a start time (langfuse-python #1377; PR #1774 adds one), while OpenTelemetry, which Langfuse is
built on, does: ``Tracer.start_span(start_time=ns)``. For backdated calls we therefore start the
span on the Langfuse client's own tracer (same instrumentation scope, so it is exported and
decoded exactly like SDK spans) and wrap it in the SDK's ``LangfuseGeneration``; the end time
goes through the public ``end(end_time=ns)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langfuse import Langfuse, LangfuseGeneration
from opentelemetry import trace as otel_trace

from cost_pipeline.llm.clock import CallClock


def _accepts_start_time(langfuse: Langfuse) -> bool:
    try:
        parameters = inspect.signature(langfuse.start_as_current_observation).parameters
    except (TypeError, ValueError):
        return False
    return "start_time" in parameters


@contextmanager
def open_generation(
    langfuse: Langfuse, clock: CallClock, *, name: str, **fields: Any
) -> Iterator[LangfuseGeneration]:
    """A generation that is current inside the block and stays open after it (ended by caller)."""
    if not clock.explicit:
        with langfuse.start_as_current_observation(
            as_type="generation", name=name, end_on_exit=False, **fields
        ) as generation:
            yield generation
        return
    if _accepts_start_time(langfuse):  # a future SDK with explicit start times
        with langfuse.start_as_current_observation(
            as_type="generation", name=name, end_on_exit=False, start_time=clock.start_ns, **fields
        ) as generation:
            yield generation
        return
    tracer = getattr(langfuse, "_otel_tracer", None)
    if tracer is None:
        raise RuntimeError("this langfuse version offers no way to record an explicit start time")
    span = tracer.start_span(name=name, start_time=clock.start_ns)
    generation = LangfuseGeneration(
        otel_span=span,
        langfuse_client=langfuse,
        environment=getattr(langfuse, "_environment", None),
        release=getattr(langfuse, "_release", None),
        **fields,
    )
    with otel_trace.use_span(span, end_on_exit=False):
        yield generation
