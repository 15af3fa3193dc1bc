"""Generations sent by the real Langfuse SDK arrive in raw_generations with every typed column."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from langfuse import Langfuse, propagate_attributes

from cost_pipeline.llm.clock import CallClock, recorded_at
from cost_pipeline.llm.langfuse_compat import open_generation
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.warehouse.loading import (
    BASE_DAY,
    day_start,
    materialize,
    metadata,
    query,
    wait_until,
)

DAY = BASE_DAY - timedelta(days=1)
SENT = {
    # name: (model, usage_details, cost_details, metadata, tags)
    "openai-cached": (
        "gpt-4o-mini",
        {"input": 1200, "input_cached_tokens": 800, "output": 150},
        None,
        {"feature": "search", "team": "growth"},
        ["feature:search"],
    ),
    "anthropic-cache-write": (
        "claude-haiku-4-5",
        {
            "input": 300,
            "input_cached_tokens": 2000,
            "input_cache_creation": 400,
            "input_cache_creation_1h": 100,
            "output": 220,
        },
        None,
        {"feature": "support", "team": "cx"},
        ["team:cx"],
    ),
    "reasoning-own-cost": (
        "o4-mini",
        {"input": 900, "output": 100, "output_reasoning_tokens": 300},
        {"input": 0.001, "output": 0.002, "total": 0.003},
        {},
        [],
    ),
}


def send(server) -> None:
    langfuse = Langfuse(
        public_key=server.public_key, secret_key=server.secret_key, base_url=server.base_url
    )
    for index, (name, (model, usage, cost, meta, tags)) in enumerate(SENT.items()):
        start = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=index + 1)
        with recorded_at(start):
            clock = CallClock()
            with (
                propagate_attributes(user_id=f"user-{index}", session_id="session-9", tags=tags),
                open_generation(
                    langfuse, clock, name=name, model=model, metadata=meta or None
                ) as generation,
            ):
                generation.update(usage_details=usage, cost_details=cost)
            generation.end(end_time=clock.now_ns())
    langfuse.flush()
    langfuse.shutdown()


# The Langfuse SDK keeps one exporter per public key per process (even after shutdown()): keys
# of our own keep this test's spans, and its dead server, away from other tests in the worker.
KEYS = {"LANGFUSE_PUBLIC_KEY": "pk-lf-ingest-sdk-test", "LANGFUSE_SECRET_KEY": "sk-lf-ingest-sdk"}


@pytest.fixture
def server(tmp_path):
    with start_serve_local(tmp_path, env=KEYS) as srv:
        yield srv


@pytest.mark.slow
def test_sdk_generations_load_typed(server, tmp_path):
    send(server)
    window = (day_start(DAY), day_start(DAY) + timedelta(days=1))
    wait_until(lambda: len(server.truth(*window, types=["GENERATION"])) == 3, "ingestion")
    database = tmp_path / "w.duckdb"
    result = materialize(server, database, DAY)
    assert result.success
    assert metadata(result)["rows_loaded"] == 3
    rows = query(
        database,
        "select name, model, user_id, session_id, tags, metadata, uncached_input_tokens, "
        "cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, visible_output_tokens, "
        "reasoning_tokens, langfuse_total_cost, start_time, partition_date "
        "from raw_generations order by start_time",
    )
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == set(SENT)
    for index, (name, (model, usage, _cost, meta, tags)) in enumerate(SENT.items()):
        row = by_name[name]
        assert row[1] == model
        assert (row[2], row[3]) == (f"user-{index}", "session-9")
        assert set(tags) <= set(row[4] or [])
        for key, value in meta.items():
            assert orjson.loads(row[5])[key] == value
        assert row[6:12] == (
            usage.get("input", 0),
            usage.get("input_cached_tokens", 0),
            usage.get("input_cache_creation", 0),
            usage.get("input_cache_creation_1h", 0),
            usage.get("output", 0),
            usage.get("output_reasoning_tokens", 0),
        )
        assert row[14] == DAY
    assert by_name["reasoning-own-cost"][12] == Decimal("0.003")  # Langfuse's own cost, as sent
    assert by_name["openai-cached"][12] > 0  # priced by the server from the model
    priced = {row[0] for row in query(database, "select model from model_prices")}
    assert {"gpt-4o-mini", "claude-haiku-4-5", "o4-mini"} <= priced
