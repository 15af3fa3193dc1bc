"""Keep the anthropic SDK's own OpenTelemetry spans out of Langfuse.

anthropic 2.x emits a ``gen_ai.*`` span for every API call. Langfuse's span processor exports
any span with ``gen_ai.*`` attributes by default, and the Langfuse server turns it into a second
GENERATION carrying the same usage, nested in ours: every Anthropic call would be counted twice.
The instrumented client therefore uses a copy of the client with those spans switched off,
unless the caller sent them to a tracer provider of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger("cost_pipeline.llm")


def without_sdk_spans(client: Any) -> Any:
    options = getattr(client, "open_telemetry", None)  # absent before anthropic 2.x tracing
    if not isinstance(options, Mapping) or options.get("tracer_provider") is not None:
        return client
    traces = options.get("traces")
    if not isinstance(traces, Mapping) or not traces.get("enabled"):
        return client
    try:
        quiet = client.with_options(
            open_telemetry={**options, "traces": {**traces, "enabled": False}}
        )
    except TypeError:  # an SDK whose copy() predates the option
        return client
    logger.debug("anthropic SDK spans disabled on the instrumented client (would double count)")
    return quiet
