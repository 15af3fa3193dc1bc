"""The simulator as serve-local mounts it: SDK env vars, stream helpers, runtime knobs."""

from __future__ import annotations

import anthropic
import openai
import pytest

from cost_pipeline_tests.conftest import start_serve_local

pytestmark = pytest.mark.xdist_group("simulator_mounted")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("serve-local")) as srv:
        yield srv


@pytest.fixture
def sdk_env(server, monkeypatch):
    """The SDKs find the simulator through their own environment variables."""
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield
    server.set_knobs(simulator_error_rate=0.0, simulator_latency_ms=0.0)


def test_sdks_reach_the_simulator_through_their_env_vars(sdk_env):
    with openai.OpenAI(max_retries=0).chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream_options={"include_usage": True},
    ) as stream:
        completion = stream.get_final_completion()
    assert completion.model == "gpt-4o-mini-2024-07-18" and completion.usage.total_tokens > 0
    with anthropic.Anthropic(max_retries=0).messages.stream(
        model="claude-haiku-4-5", max_tokens=32, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        message = stream.get_final_message()
    assert message.model == "claude-haiku-4-5-20251001" and message.usage.output_tokens > 0


def test_admin_error_rate_knob_reaches_the_simulator(server, sdk_env):
    knobs = server.set_knobs(simulator_error_rate=1.0)
    assert knobs["simulator_error_rate"] == 1.0
    with pytest.raises((anthropic.RateLimitError, anthropic.InternalServerError)):
        anthropic.Anthropic(max_retries=0).messages.create(
            model="claude-haiku-4-5", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
    server.set_knobs(simulator_error_rate=0.0)
    assert (
        openai.OpenAI(max_retries=0)
        .chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        .usage
    )
