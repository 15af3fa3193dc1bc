"""Run the real raw_generations asset against a serve-local and hold the result to the truth.

Every reliability test ends with ``assert_exactly_the_truth``: the ids in ``raw_generations``
(plus those set aside in ``rejected_generations``) equal the ids serve-local stores for the day,
each exactly once. serve-local's ``/admin/truth`` lists every stored id, visible yet or not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource


def day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def truth(server: Any, day: date) -> list[str]:
    return server.truth(day_start(day), day_start(day) + timedelta(days=1))


def materialize_day(
    server: Any,
    database: Path,
    day: date,
    *,
    read_timeout_s: float = 60.0,
    secret: str | None = None,
    **config: Any,
) -> dg.ExecuteInProcessResult:
    """One real materialization of raw_generations for ``day`` (failures returned, not raised)."""
    resources = {
        "warehouse": WarehouseResource(database=str(database)),
        "langfuse": LangfuseResource(
            base_url=server.base_url,
            public_key=server.public_key,
            secret_key=secret or server.secret_key,
            read_timeout_s=read_timeout_s,
        ),
    }
    run_config = {"ops": {"raw_generations": {"config": {"retry_base_delay_s": 0.01, **config}}}}
    return dg.materialize(
        [raw_generations],
        partition_key=day.isoformat(),
        resources=resources,
        run_config=run_config,
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    materialization = result.asset_materializations_for_node("raw_generations")[0]
    return {key: value.value for key, value in materialization.metadata.items()}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    return "\n".join(event.event_specific_data.error.to_string() for event in failures)


def log_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What the run logged through context.log (user messages, not Dagster's own events)."""
    return [entry.user_message for entry in instance.all_logs(run_id) if not entry.is_dagster_event]


def query(database: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def ids_in(database: Path, table: str, day: date) -> list[str]:
    rows = query(database, f"select id from {table} where partition_date = ? order by id", [day])
    return [row[0] for row in rows]


def assert_exactly_the_truth(
    server: Any, database: Path, day: date, *, rejected: set[str] | None = None
) -> None:
    """Loaded + rejected ids equal the server's ids for ``day``; nothing twice, nothing lost."""
    loaded = ids_in(database, "raw_generations", day)
    all_set_aside = ids_in(database, "rejected_generations", day)
    # A row without an id is listed by the server as "" and kept aside with id null.
    set_aside = [obs_id for obs_id in all_set_aside if obs_id]
    assert len(loaded) == len(set(loaded)), "an id is in raw_generations twice"
    assert len(set_aside) == len(set(set_aside)), "an id is in rejected_generations twice"
    assert set(set_aside) == (rejected or set()), "unexpected rejected rows"
    assert not set(loaded) & set(set_aside), "an id is both loaded and rejected"
    expected = truth(server, day)
    assert expected.count("") == len(all_set_aside) - len(set_aside), "a row without an id"
    expected = [obs_id for obs_id in expected if obs_id]
    missing = sorted(set(expected) - set(loaded) - set(set_aside))
    extra = sorted(set(loaded) - set(expected))
    assert not missing and not extra, f"lost {missing[:5]} (+{len(missing)}), extra {extra[:5]}"
    assert sorted(loaded + set_aside) == expected


def ingest_state(database: Path, day: date) -> dict[str, Any]:
    cursor_rows = query(
        database,
        "select status, mode, pages, rows_loaded, api_requests, error from ingest_state "
        "where partition_date = ?",
        [day],
    )
    names = ("status", "mode", "pages", "rows_loaded", "api_requests", "error")
    return dict(zip(names, cursor_rows[0], strict=True)) if cursor_rows else {}
