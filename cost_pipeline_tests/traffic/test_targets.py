"""Where traffic goes: simulator by default, real providers only when asked, keys kept safe."""

from __future__ import annotations

import pytest

from cost_pipeline.traffic.targets import (
    SIMULATOR_KEY,
    TargetError,
    resolve_mode,
    resolve_targets,
)


def test_simulator_urls_follow_langfuse_base_url(monkeypatch):
    monkeypatch.setenv("LANGFUSE_BASE_URL", "http://127.0.0.1:4321/")
    targets = resolve_targets("simulator", max_live_calls=5, environ={})
    assert targets.providers["openai"].base_url == "http://127.0.0.1:4321/openai/v1"
    assert targets.providers["anthropic"].base_url == "http://127.0.0.1:4321/anthropic"
    assert targets.max_calls is None


def test_simulator_never_receives_real_keys():
    environ = {"OPENAI_BASE_URL": "http://sim:1/openai/v1", "OPENAI_API_KEY": "sk-real-secret"}
    targets = resolve_targets("simulator", max_live_calls=5, environ=environ)
    assert targets.providers["openai"].base_url == "http://sim:1/openai/v1"
    assert targets.providers["openai"].api_key == SIMULATOR_KEY
    assert "sk-real" not in repr(targets)


def test_simulator_mode_refuses_a_real_provider_url():
    with pytest.raises(TargetError, match="LLM_TRAFFIC_MODE"):
        resolve_targets(
            "simulator", max_live_calls=5, environ={"OPENAI_BASE_URL": "https://api.openai.com/v1"}
        )


def test_live_mode_needs_keys_and_caps_calls():
    with pytest.raises(TargetError, match="OPENAI_API_KEY"):
        resolve_targets("live", max_live_calls=5, environ={})
    targets = resolve_targets("live", max_live_calls=3, environ={"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert set(targets.providers) == {"anthropic"}
    assert targets.providers["anthropic"].base_url is None  # the SDK's real endpoint
    assert targets.max_calls == 3
    assert "sk-ant-x" not in repr(targets)


def test_mode_comes_from_config_then_environment():
    assert resolve_mode(None, {}) == "simulator"
    assert resolve_mode(None, {"LLM_TRAFFIC_MODE": "LIVE"}) == "live"
    assert resolve_mode("simulator", {"LLM_TRAFFIC_MODE": "live"}) == "simulator"
    with pytest.raises(TargetError):
        resolve_mode("production", {})
