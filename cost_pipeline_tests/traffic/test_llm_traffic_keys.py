"""llm_traffic with keys Langfuse refuses: the step fails before a single call, naming the
variables to fix and never the secret (the SDK's exporter would only log the 401 and the run
would report every call as sent)."""

from __future__ import annotations

import socket
import uuid

import dagster as dg
import duckdb
import pytest
from langfuse import Langfuse

from cost_pipeline import settings
from cost_pipeline.assets.traffic import llm_traffic
from cost_pipeline.assets.traffic_keys import check_langfuse_keys
from cost_pipeline.langfuse.errors import LangfuseRequestError
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.conftest import start_serve_local

DAY = "2026-03-06"
WRONG_SECRET = "sk-lf-wrong-0123456789abcdef"


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    return "\n".join(event.event_specific_data.error.to_string() for event in failures)


def test_wrong_secret_key_fails_the_step_before_any_call(tmp_path, monkeypatch):
    # A public key of this test's own: the SDK keeps one client per public key per process.
    keys = {"LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex}", "LANGFUSE_SECRET_KEY": "sk-lf-ok"}
    with start_serve_local(tmp_path, env=keys) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("LANGFUSE_SECRET_KEY", WRONG_SECRET)
        monkeypatch.delenv("OPENAI_BASE_URL")  # the simulator behind LANGFUSE_BASE_URL
        monkeypatch.delenv("ANTHROPIC_BASE_URL")
        database = tmp_path / "warehouse.duckdb"
        result = dg.materialize(
            [llm_traffic],
            partition_key=DAY,
            resources={"warehouse": WarehouseResource(database=str(database))},
            run_config={"ops": {"llm_traffic": {"config": {"calls_per_partition": 20}}}},
            raise_on_error=False,
        )
        stats = server.stats()

    assert not result.success
    text = _failure_text(result)
    assert "Langfuse rejected the API keys (HTTP 401" in text
    for variable in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL"):
        assert variable in text
    assert "No LLM calls were sent." in text
    logged = "\n".join(str(event) for event in result.all_events)
    assert WRONG_SECRET not in text + logged
    assert WRONG_SECRET[-12:] not in text + logged
    # Nothing reached the simulator or Langfuse, and nothing was logged as sent.
    assert not any(
        route.startswith(("POST /openai", "POST /anthropic")) for route in stats["requests"]
    )
    assert stats["spans_ingested"] == 0
    assert _logged_calls(database) == 0


def _logged_calls(database) -> int:
    if not database.exists():  # the step stopped before it opened the warehouse
        return 0
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables")}
        if "traffic_log" not in tables:
            return 0
        return con.execute("select count(*) from traffic_log").fetchone()[0]


def test_an_unreachable_langfuse_is_named_by_its_variable():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = settings.LangfuseConnection(
        base_url=f"http://127.0.0.1:{port}",
        public_key=f"pk-lf-{uuid.uuid4().hex}",
        secret_key=WRONG_SECRET,
    )
    langfuse = Langfuse(
        public_key=connection.public_key,
        secret_key=connection.secret_key,
        base_url=connection.base_url,
    )
    with pytest.raises(LangfuseRequestError) as raised:
        check_langfuse_keys(langfuse, connection)
    message = str(raised.value)
    assert message.startswith(
        f"Langfuse is unreachable at LANGFUSE_BASE_URL ({connection.base_url})"
    )
    assert WRONG_SECRET not in message
