"""Run by test_sdk_roundtrip.py with langfuse 5.0.x (our venv) or 4.18.x (``uv run --with``).

Sends one trace through the real SDK (a root span, three generations inside
propagate_attributes, a score), flushes, then reads the generations back with the SDK's own
generated client, ``Langfuse().api.observations.get_many(...)``, which parses them into its
pydantic ObservationV2 models. Prints one JSON line with what the SDK parsed.

Needs only langfuse (no cost_pipeline import), so it runs in a bare ``uv run --with`` env.
Environment: LANGFUSE_BASE_URL / LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

from langfuse import Langfuse, propagate_attributes

FIELDS = "core,basic,time,model,usage,metadata,trace_context"


def send(client: Langfuse) -> str:
    with client.start_as_current_observation(as_type="span", name="handle-request") as root:
        with propagate_attributes(
            user_id="user-123",
            session_id="sess-abc",
            tags=["probe", "team-a"],
            metadata={"feature": "qa", "team": "platform"},
            trace_name="probe-trace",
            version="1.2.3",
        ):
            with client.start_as_current_observation(
                as_type="generation",
                name="priced",
                model="gpt-4o-mini",
                model_parameters={"temperature": 0.2, "max_tokens": 256},
                input=[{"role": "user", "content": "What is 2+2?"}],
                metadata={"feature": "qa", "n": 7},
            ) as gen:
                gen.update(
                    output={"role": "assistant", "content": "4"},
                    usage_details={
                        "input": 20,
                        "input_cached_tokens": 100,
                        "output": 28,
                        "output_reasoning_tokens": 12,
                    },
                )
            with client.start_as_current_observation(
                as_type="generation", name="provided-cost", model="claude-haiku-4-5"
            ) as gen:
                gen.update(
                    usage_details={"input": 10, "output": 5},
                    cost_details={"input": 0.5, "output": 0.25, "total": 0.75},
                    level="ERROR",
                    status_message="overloaded",
                    completion_start_time=datetime.now(UTC) + timedelta(milliseconds=5),
                )
            with client.start_as_current_observation(
                as_type="generation", name="unknown-model", model="acme-internal-llm"
            ) as gen:
                gen.update(usage_details={"input": 3, "output": 4})
        client.create_score(name="quality", value=1.0, trace_id=root.trace_id)
        return root.trace_id


def main() -> None:
    client = Langfuse()
    assert client.auth_check()
    trace_id = send(client)
    client.flush()
    page = client.api.observations.get_many(
        trace_id=trace_id,
        type="GENERATION",
        fields=FIELDS,
        expand_metadata="feature,team",
        limit=10,
    )
    rows = [
        {
            "id": o.id,
            "trace_id": o.trace_id,
            "name": o.name,
            "type": o.type,
            "start_time": o.start_time.isoformat(),
            "completion_start_time": o.completion_start_time
            and o.completion_start_time.isoformat(),
            "level": str(o.level.value if hasattr(o.level, "value") else o.level),
            "status_message": o.status_message,
            "environment": o.environment,
            "version": o.version,
            "user_id": o.user_id,
            "session_id": o.session_id,
            "model": o.model,
            "model_parameters": o.model_parameters,
            "usage_details": o.usage_details,
            "cost_details": o.cost_details,
            "total_cost": o.total_cost,
            "metadata": o.metadata,
            "tags": o.tags,
            "trace_name": o.trace_name,
            "model_id": o.model_id,
            "input_price": o.input_price,
            "output_price": o.output_price,
            "latency": o.latency,
        }
        for o in page.data
    ]
    cursor = page.meta.cursor
    print(
        json.dumps(
            {"sdk": version("langfuse"), "trace_id": trace_id, "rows": rows, "cursor": cursor}
        )
    )


if __name__ == "__main__":
    main()
