"""Send one partition's planned calls through the instrumented clients and collect the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import anthropic
import openai
from langfuse import Langfuse

from cost_pipeline import settings
from cost_pipeline.llm import RecordedCall, instrument, recorded_at, track
from cost_pipeline.traffic.plan import PlannedCall, plan_calls
from cost_pipeline.traffic.prompts import request_for
from cost_pipeline.traffic.records import TrafficRecord
from cost_pipeline.traffic.targets import ProviderTarget, Targets
from cost_pipeline.traffic.workload import Workload

logger = logging.getLogger("cost_pipeline.traffic")
TRAFFIC_TAG = "llm_traffic"


@dataclass
class PartitionTraffic:
    day: date
    planned: int
    records: list[TrafficRecord] = field(default_factory=list)
    skipped: int = 0  # planned but not sent (live call cap, provider without a key)

    @property
    def failed(self) -> int:
        return sum(1 for record in self.records if record.recorded.level == "ERROR")


def traffic_langfuse(connection: settings.LangfuseConnection | None = None) -> Langfuse:
    """A client for the configured Langfuse (LANGFUSE_* env vars unless ``connection``).

    Explicit rather than ``get_client()``: with several Langfuse projects in one process that
    returns a disabled client, and synthetic traffic must never be dropped silently.
    """
    connection = connection or settings.langfuse_connection()
    return Langfuse(
        public_key=connection.public_key,
        secret_key=connection.secret_key,
        base_url=connection.base_url,
    )


def _clients(targets: Targets, sink: Callable[[RecordedCall], None], lf: Langfuse) -> dict:
    # Forced simulator faults must reach the generation as they are, so no SDK retries there;
    # live traffic keeps the SDK's default retries for transient provider errors.
    retries = 0 if targets.mode == "simulator" else 2
    makers: dict[str, Callable[[ProviderTarget], Any]] = {
        "openai": lambda t: openai.OpenAI(
            base_url=t.base_url, api_key=t.api_key, max_retries=retries
        ),
        "anthropic": lambda t: anthropic.Anthropic(
            base_url=t.base_url, api_key=t.api_key, max_retries=retries
        ),
    }
    return {
        provider: instrument(
            makers[provider](target), langfuse=lf, capture_io=False, on_record=sink
        )
        for provider, target in targets.providers.items()
    }


def _send(client: Any, call: PlannedCall, simulated: bool) -> None:
    kwargs = request_for(call, simulated=simulated)
    create = client.chat.completions.create if call.model.provider == "openai" else None
    create = create or client.messages.create
    result = create(**kwargs)
    if call.stream:
        with result as stream:
            for _ in stream:
                pass


def run_partition(
    workload: Workload,
    day: date,
    targets: Targets,
    *,
    batch_id: str,
    langfuse: Langfuse | None = None,
    now: datetime | None = None,
) -> PartitionTraffic:
    """Send the day's calls (start times backdated into ``day``) and flush Langfuse."""
    simulated = targets.mode == "simulator"
    plan = plan_calls(workload, day, now or datetime.now(UTC), with_faults=simulated)
    traffic = PartitionTraffic(day=day, planned=len(plan))
    sendable = [call for call in plan if call.model.provider in targets.providers]
    traffic.skipped = len(plan) - len(sendable)
    if targets.max_calls is not None and len(sendable) > targets.max_calls:
        traffic.skipped += len(sendable) - targets.max_calls
        sendable = sendable[: targets.max_calls]
    lf = langfuse or traffic_langfuse()
    current: list[PlannedCall] = []

    def sink(recorded: RecordedCall) -> None:
        traffic.records.append(TrafficRecord(current[-1], recorded, batch_id, day))

    clients = _clients(targets, sink, lf)
    for call in sendable:
        current.append(call)
        context: dict[str, Any] = {
            "user_id": call.user_id,
            "session_id": call.session_id,
            "tags": [TRAFFIC_TAG],
            "traffic_batch": batch_id,
        }
        if call.attributed:
            context.update(feature=call.feature.name, team=call.feature.team)
            context["trace_name"] = call.feature.name
        with track(**context), recorded_at(call.start):
            try:
                _send(clients[call.model.provider], call, simulated)
            except (openai.APIError, anthropic.APIError) as exc:
                # Already recorded as an ERROR generation by the wrapper; keep going.
                logger.info("call %s (%s) failed: %s", call.index, call.model.name, exc)
    # flush() cannot tell whether Langfuse accepted the spans: OpenTelemetry's batch processor
    # drops the exporter's result (a 401 or 5xx only reaches the OTLP exporter's log, "Failed to
    # export span batch code: 401") and force_flush() returns True regardless, and the SDK's
    # flush() returns nothing. Hence llm_traffic's key check before sending, and the canary.
    lf.flush()
    return traffic
