"""A generation with a token count at the 64-bit limit, sent by the real Langfuse SDK in the same
export as a normal one: serve-local stores both, and raw_generations loads the normal one and
rejects the absurd one with its reason (instead of the whole export failing at ingestion)."""

from datetime import UTC, datetime, timedelta

from langfuse import Langfuse

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

DAY = BASE_DAY - timedelta(days=2)
USAGE = {
    "normal": {"input": 100, "output": 10},
    "absurd": {"input": 2**63 - 1, "output": 10},
}
# The SDK keeps one exporter per public key per process: keys of this test's own.
KEYS = {"LANGFUSE_PUBLIC_KEY": "pk-lf-absurd-usage", "LANGFUSE_SECRET_KEY": "sk-lf-absurd-usage"}


def send(server) -> dict[str, str]:
    """Both generations in one flush (one OTLP export); their ids by name."""
    langfuse = Langfuse(
        public_key=server.public_key, secret_key=server.secret_key, base_url=server.base_url
    )
    ids = {}
    for hour, (name, usage) in enumerate(USAGE.items(), start=1):
        with recorded_at(datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=hour)):
            clock = CallClock()
            with open_generation(langfuse, clock, name=name, model="gpt-4o-mini") as generation:
                generation.update(usage_details=usage)
            generation.end(end_time=clock.now_ns())
            ids[name] = generation.id
    langfuse.flush()
    langfuse.shutdown()
    return ids


def test_the_absurd_count_is_rejected_by_the_loader_and_its_batch_mate_loaded(tmp_path):
    with start_serve_local(tmp_path, env=KEYS) as server:
        ids = send(server)
        window = (day_start(DAY), day_start(DAY) + timedelta(days=1))
        wait_until(lambda: len(server.truth(*window)) == 2, "both generations stored")
        database = tmp_path / "w.duckdb"
        result = materialize(server, database, DAY)
    assert result.success
    assert metadata(result)["rows_rejected"] == 1
    assert query(database, "select id, uncached_input_tokens from raw_generations") == [
        (ids["normal"], 100)
    ]
    ((rejected_id, reason),) = query(database, "select id, reason from rejected_generations")
    assert rejected_id == ids["absurd"]
    assert reason == f"usageDetails.input is not a plausible token count: {2**63 - 1}"
