"""TrafficRecord objects for tests that exercise the warehouse side without sending calls."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cost_pipeline.llm import RecordedCall
from cost_pipeline.llm.context import CallContext
from cost_pipeline.llm.pricing import TokenUsage
from cost_pipeline.llm.usage import usage_details
from cost_pipeline.traffic.plan import plan_calls
from cost_pipeline.traffic.records import TrafficRecord
from cost_pipeline.traffic.workload import load_workload

DAY = date(2026, 3, 5)


def traffic_records(count: int, batch_id: str, day: date = DAY) -> list[TrafficRecord]:
    workload = load_workload().with_overrides(calls_per_partition=count)
    calls = plan_calls(workload, day, datetime(2026, 11, 24, tzinfo=UTC))
    records = []
    for call in calls:
        usage = TokenUsage(
            input=100 + call.index, cache_read=1024, cache_write=7, output=20, reasoning=3
        )
        recorded = RecordedCall(
            provider=call.model.provider,
            trace_id=f"{batch_id}-{call.index:032d}"[-32:],
            observation_id=f"{batch_id}-obs-{call.index}",
            requested_model=call.model.name,
            model=call.model.name,
            start_time=call.start,
            usage=usage,
            usage_details=usage_details(usage),
            cost_details={"total": 0.001},
            level="DEFAULT",
            status_message=None,
            context=CallContext(),
            stream=call.stream,
        )
        records.append(TrafficRecord(call, recorded, batch_id, day))
    return records
