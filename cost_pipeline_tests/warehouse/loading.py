"""Materialize the real raw_generations asset against a serve-local and read what it loaded."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.warehouse.observations import observation

# A recent past day: always a valid partition, never "today".
BASE_DAY = datetime.now(UTC).date() - timedelta(days=12)


def day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def spread_over(day: date, count: int, prefix: str, **overrides: Any) -> list[dict[str, Any]]:
    """``count`` generations spread evenly over the UTC day (newest near midnight)."""
    step = timedelta(days=1) / count
    return [
        observation(f"{prefix}-{i:06d}", day_start(day) + step * i, **overrides)
        for i in range(count)
    ]


def serve_local_resources(
    server: Any,
    database: Path,
    *,
    secret: str | None = None,
    read_timeout_s: float = 60.0,
    connection_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The warehouse and langfuse resources for a DuckDB file loaded from ``server``."""
    return {
        "warehouse": WarehouseResource(
            database=str(database), connection_config=connection_config or {}
        ),
        "langfuse": LangfuseResource(
            base_url=server.base_url,
            public_key=server.public_key,
            secret_key=secret or server.secret_key,
            read_timeout_s=read_timeout_s,
        ),
    }


def materialize(
    server: Any,
    database: Path,
    day: date,
    *,
    secret: str | None = None,
    tags: dict[str, str] | None = None,
    read_timeout_s: float = 60.0,
    connection_config: dict[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    **config: Any,
) -> dg.ExecuteInProcessResult:
    resources = serve_local_resources(
        server,
        database,
        secret=secret,
        read_timeout_s=read_timeout_s,
        connection_config=connection_config,
    )
    run_config = {"ops": {"raw_generations": {"config": {"retry_base_delay_s": 0.01, **config}}}}
    return dg.materialize(
        [raw_generations],
        partition_key=None if tags else day.isoformat(),
        tags=tags,
        resources=resources,
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The run's metadata (a range run records the same on every partition it covers)."""
    materialization = result.asset_materializations_for_node("raw_generations")[0]
    return {key: value.value for key, value in materialization.metadata.items()}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    return "\n".join(str(event.event_specific_data.error.to_string()) for event in failures)


def query(database: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def loaded_ids(database: Path, day: date) -> list[str]:
    rows = query(database, "select id from raw_generations where partition_date = ?", [day])
    return sorted(row[0] for row in rows)


def read_requests(server: Any) -> int:
    return int(server.stats()["read_requests"])


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)  # polling a condition with a deadline


def truth(server: Any, day: date) -> list[str]:
    """Every id serve-local stores for ``day``, visible yet or not."""
    return server.truth(day_start(day), day_start(day) + timedelta(days=1))


def log_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What the run logged through context.log (user messages, not Dagster's own events)."""
    return [entry.user_message for entry in instance.all_logs(run_id) if not entry.is_dagster_event]
