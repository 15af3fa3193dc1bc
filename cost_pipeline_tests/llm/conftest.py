"""One real serve-local per test module, its own Langfuse project key, and readers for it.

Each module gets a unique public key: the Langfuse SDK keeps one exporter per public key for
the whole process, so reusing a key would send this module's spans to another module's server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from langfuse import Langfuse

from cost_pipeline.llm import RecordedCall
from cost_pipeline_tests.conftest import LocalServer, start_serve_local

READ_FIELDS = "core,basic,time,model,usage,metadata,trace_context"
READ_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LocalServer]:
    keys = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:12]}",
        "LANGFUSE_SECRET_KEY": f"sk-lf-{uuid.uuid4().hex[:12]}",
    }
    with start_serve_local(tmp_path_factory.mktemp("serve-local"), env=keys) as srv:
        yield srv


@pytest.fixture(scope="module")
def langfuse(server: LocalServer) -> Langfuse:
    return Langfuse(
        public_key=server.public_key, secret_key=server.secret_key, base_url=server.base_url
    )


@pytest.fixture
def recorded() -> list[RecordedCall]:
    """Collects what the wrappers recorded (pass ``on_record=recorded.append``)."""
    return []


def trace_observations(
    server: LocalServer, trace_id: str, expected: int = 1, fields: str = READ_FIELDS
) -> list[dict]:
    """All observations of a trace through the v2 API, once ``expected`` of them are readable."""
    params = {"traceId": trace_id, "fields": fields, "limit": 100}
    return server.wait_for_observations(params, expected, timeout_s=READ_TIMEOUT_S)


def read_generation(
    server: LocalServer, langfuse: Langfuse, call: RecordedCall, fields: str = READ_FIELDS
) -> dict:
    langfuse.flush()
    observations = trace_observations(server, call.trace_id, fields=fields)
    matching = [o for o in observations if o["id"] == call.observation_id]
    assert matching, f"generation {call.observation_id} not readable: {observations}"
    return matching[0]


def business_metadata(observation: dict) -> dict:
    """Metadata minus what the OTel pipeline adds (resourceAttributes, scope)."""
    return {
        key: value
        for key, value in (observation.get("metadata") or {}).items()
        if key not in ("resourceAttributes", "scope")
    }
