"""Usage the pipeline used to miss, through the real chain: the openai SDK against serve-local's
simulator, OTLP spans and API rows served as Langfuse serves them, one real Dagster
materialization of raw_generations and the SQL models.

- Calls whose response had no usage count as without usage in the load's figures and its log,
  and are unpriced (so a day with them is not "complete").
- Usage under Anthropic's raw keys and OpenAI's audio keys lands in token classes and is priced
  with genai-prices; usage under keys no class reads is named in the figures and the log, and
  the generation is unpriced instead of priced at what the known keys hold.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import dagster as dg
import duckdb
import openai
import pytest
from langfuse import Langfuse

from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.llm import instrument, recorded_at
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline_tests.conftest import LocalServer
from cost_pipeline_tests.local.otlp_builders import NS, generation, post_protobuf
from cost_pipeline_tests.local.usage_shapes import (
    AUDIO_CHAT,
    AUDIO_CHAT_CLASSES,
    CLAUDE_RAW,
    CLAUDE_RAW_CLASSES,
)
from cost_pipeline_tests.reliability.support import day_start, failure_text, log_messages
from cost_pipeline_tests.warehouse.loading import serve_local_resources, wait_until
from cost_pipeline_tests.warehouse.observations import observation

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("usage_in_the_chain")]

DAY = datetime.now(UTC).date() - timedelta(days=9)
PORTS = range(4400, 4450)  # the ports these tests may listen on
AUDIO_STORED = {"input": 500, "input_audio_tokens": 1500, "output": 200, "output_audio_tokens": 800}
# Rows as Langfuse serves them when it has no price for them: no cost at all.
NO_COST = {"costDetails": {}, "totalCost": 0, "inputCost": None, "outputCost": None}
INJECTED = {
    "claude-raw": ("claude-haiku-4-5", {**CLAUDE_RAW, "total": 151000}),
    "realtime-audio": ("gpt-4o-realtime-preview", {**AUDIO_STORED, "total": 3000}),
    "image-tokens": (
        "gpt-4o-mini",
        {"input": 100, "output": 20, "input_image_tokens": 50, "total": 170},
    ),
}


def start_on_a_free_port(data_dir, keys) -> LocalServer:
    for port in PORTS:
        server = LocalServer(data_dir, keys)
        try:
            return server.start(port=port)
        except (RuntimeError, TimeoutError):
            server.stop()  # the port was taken: serve-local exits, try the next one
    raise RuntimeError(f"no free port in {PORTS}")


def send(server: LocalServer) -> int:
    """Everything the day holds; returns how many generations."""
    langfuse = Langfuse(
        public_key=server.public_key, secret_key=server.secret_key, base_url=server.base_url
    )
    raw = openai.OpenAI(base_url=f"{server.base_url}/openai/v1", api_key="k", max_retries=0)
    client = instrument(raw, feature="nousage", team="t1", langfuse=langfuse)
    with recorded_at(datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)):
        for fault in (None, "no-usage", "no-usage"):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "hello"}],
                extra_headers={"x-simulator-fault": fault} if fault else None,
            )
    langfuse.flush()
    langfuse.shutdown()
    start_ns = int(day_start(DAY).replace(tzinfo=UTC).timestamp()) * NS + 3 * 3600 * NS
    spans = [
        generation(name, **{
            "langfuse.observation.model.name": model,
            "langfuse.observation.usage_details": json.dumps(usage),
            "langfuse.observation.metadata.feature": "otlp",
        })
        for name, model, usage in (
            ("claude-raw", "claude-haiku-4-5", CLAUDE_RAW),
            ("openai-audio", "gpt-4o-audio-preview", AUDIO_CHAT),
        )
    ]  # fmt: skip
    for span in spans:
        span.start_ns, span.end_ns = start_ns, start_ns + NS
    with server.api() as api:
        assert post_protobuf(api, spans).status_code == 200
    at = day_start(DAY) + timedelta(hours=4)
    server.inject(
        [
            observation(
                name,
                at,
                name=name,
                model=model,
                usageDetails=usage,
                metadata={"feature": "api"},
                **NO_COST,
            )
            for name, (model, usage) in INJECTED.items()
        ]
    )
    return 3 + len(spans) + len(INJECTED)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("usage-chain")
    keys = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:12]}",
        "LANGFUSE_SECRET_KEY": f"sk-lf-{uuid.uuid4().hex[:12]}",
    }
    server = start_on_a_free_port(tmp_path / "serve-local", keys)
    with server, dg.DagsterInstance.ephemeral() as instance:
        expected = send(server)
        window = (day_start(DAY), day_start(DAY) + timedelta(days=1))
        wait_until(lambda: len(server.truth(*window, types=["GENERATION"])) == expected, "ingest")
        database = tmp_path / "w.duckdb"
        result = dg.materialize(
            [raw_generations, *sql_model_assets],
            partition_key=DAY.isoformat(),
            resources=serve_local_resources(server, database),
            instance=instance,
            raise_on_error=False,
        )
        assert result.success, failure_text(result)
        meta = result.asset_materializations_for_node("raw_generations")[0].metadata
        yield {
            "database": database,
            "meta": {key: value.value for key, value in meta.items()},
            "logs": "\n".join(log_messages(instance, result.run_id)),
        }


def stg(database, where: str) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(f"select * from stg_generations where {where} order by start_time")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def mart(database, feature: str) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(
            "select * from spend_by_feature_team where date = ? and feature = ?", [DAY, feature]
        )
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_calls_without_usage_are_counted_warned_about_and_unpriced(loaded):
    assert loaded["meta"]["rows_without_usage"] == 2
    assert "2 generation(s) without usage details" in loaded["logs"]
    rows = stg(loaded["database"], "feature = 'nousage'")
    assert [row["has_usage"] for row in rows].count(False) == 2
    for row in (row for row in rows if not row["has_usage"]):
        assert (row["cost_source"], row["unpriced_reason"], row["cost_usd"]) == (
            "unpriced",
            "no usage",
            None,
        )
    day = mart(loaded["database"], "nousage")
    assert (day["calls"], day["unpriced_calls"], day["calls_without_usage"]) == (3, 2, 2)


def test_raw_anthropic_and_audio_keys_land_in_token_classes(loaded):
    by_name = {row["generation_name"]: row for row in stg(loaded["database"], "feature = 'otlp'")}
    claude, audio = by_name["claude-raw"], by_name["openai-audio"]
    assert (claude["input_tokens"], claude["cache_read_tokens"], claude["output_tokens"]) == (
        121000,
        1000,
        30000,
    )
    assert claude["total_tokens"] == claude["reported_total_tokens"] == 151000
    assert (audio["input_audio_tokens"], audio["output_audio_tokens"]) == (1500, 800)
    assert audio["total_tokens"] == audio["reported_total_tokens"] == 3000
    assert claude["unclassified_tokens"] == audio["unclassified_tokens"] == 0


def assert_priced(loaded, feature: str, source: str, expected: dict, tolerance: Decimal) -> None:
    by_name = {
        row["generation_name"]: row for row in stg(loaded["database"], f"feature = '{feature}'")
    }
    for name, (model, classes) in expected.items():
        row = by_name[name]
        assert row["cost_source"] == source, name
        assert abs(row["cost_usd"] - price_usage(model, classes).total) < tolerance, name


def test_serve_local_prices_raw_anthropic_and_audio_keys_like_the_loader(loaded):
    # Spans sent without a cost are priced by serve-local, as Langfuse prices them; the chain
    # keeps that cost, so a class serve-local left out would be missing from cost_usd.
    expected = {
        "claude-raw": ("claude-haiku-4-5", CLAUDE_RAW_CLASSES),
        "openai-audio": ("gpt-4o-audio-preview", AUDIO_CHAT_CLASSES),
    }
    assert_priced(loaded, "otlp", "langfuse", expected, Decimal("1e-9"))


def test_usage_without_a_langfuse_cost_is_priced_with_genai_prices(loaded):
    expected = {
        "claude-raw": ("claude-haiku-4-5", CLAUDE_RAW_CLASSES),
        "realtime-audio": ("gpt-4o-realtime-preview", AUDIO_CHAT_CLASSES),
    }
    assert_priced(loaded, "api", "genai_prices", expected, Decimal("1e-12"))
    [audio] = stg(loaded["database"], "generation_name = 'realtime-audio'")
    assert (
        audio["cost_usd"]
        > price_usage("gpt-4o-realtime-preview", TokenUsage(input=2000, output=1000)).total
    )  # audio at its own (higher) rates, not as text


def test_usage_under_unknown_keys_is_named_and_unpriced(loaded):
    meta = loaded["meta"]
    assert meta["rows_unclassified_usage"] == 1
    assert meta["unclassified_usage_keys"] == {"input_image_tokens": 1}
    assert "1 generation(s) whose usage the loader cannot classify" in loaded["logs"]
    assert "'input_image_tokens' in 1" in loaded["logs"]
    [row] = stg(loaded["database"], "generation_name = 'image-tokens'")
    assert (row["unclassified_tokens"], row["cost_source"], row["unpriced_reason"]) == (
        50,
        "unpriced",
        "unclassified usage",
    )
    day = mart(loaded["database"], "api")
    assert (day["calls_with_unclassified_usage"], day["unpriced_calls"]) == (1, 1)
