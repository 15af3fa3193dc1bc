"""Business context: merging, tags, and what goes to propagate_attributes."""

from __future__ import annotations

import pytest

from cost_pipeline.llm import track
from cost_pipeline.llm.context import CallContext, current_context


def test_build_puts_feature_team_and_extras_in_attributes_and_tags():
    context = CallContext.build(feature="search", team="growth", tags=["beta"], tier="gold")
    assert dict(context.attributes) == {"feature": "search", "team": "growth", "tier": "gold"}
    assert context.trace_tags() == ["feature:search", "team:growth", "beta"]
    assert context.propagate_kwargs() == {
        "tags": ["feature:search", "team:growth", "beta"],
        "metadata": {"feature": "search", "team": "growth", "tier": "gold"},
    }


def test_inner_context_wins_and_tags_accumulate():
    outer = CallContext.build(feature="search", team="growth", user_id="u1", tags=["a"])
    inner = CallContext.build(team="platform", session_id="s9", tags=["b", "a"], retries=2)
    merged = outer.merged(inner)
    assert merged.user_id == "u1" and merged.session_id == "s9"
    assert dict(merged.attributes) == {"feature": "search", "team": "platform", "retries": "2"}
    assert merged.tags == ("a", "b")


def test_track_nests_and_restores():
    assert current_context() == CallContext()
    with track(feature="chat", user_id="u1"):
        with track(session_id="s1") as inner:
            assert inner.user_id == "u1" and inner.session_id == "s1"
            assert inner.attributes["feature"] == "chat"
        assert current_context().session_id is None
    assert current_context() == CallContext()


def test_configured_attribution_keys_are_used(monkeypatch):
    monkeypatch.setenv("COST_PIPELINE_FEATURE_KEY", "product_area")
    context = CallContext.build(feature="search")
    assert dict(context.attributes) == {"product_area": "search"}
    assert context.trace_tags() == ["product_area:search"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"feature": "x" * 201}, ValueError),
        ({"team": {"nested": 1}}, TypeError),
        ({"user_id": "u", "tags": ["ok"], "session_id": None, "extra": [1]}, TypeError),
        ({"trace_name": "t" * 201}, ValueError),
    ],
)
def test_bad_values_fail_fast_with_a_clear_error(kwargs, error):
    with pytest.raises(error):
        CallContext.build(**kwargs)


def test_a_single_tag_string_is_one_tag():
    assert CallContext.build(tags="beta").tags == ("beta",)
