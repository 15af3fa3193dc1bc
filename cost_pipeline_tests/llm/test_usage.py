"""Provider usage -> canonical token classes: nothing double counted, nothing lost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cost_pipeline.llm.pricing import TokenUsage
from cost_pipeline.llm.usage import (
    from_anthropic,
    from_openai,
    from_openai_response,
    total_tokens,
    usage_details,
)

OPENAI_USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 40,
    "total_tokens": 160,
    "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 12, "audio_tokens": 0},
}
ANTHROPIC_USAGE = {
    "input_tokens": 120,
    "output_tokens": 40,
    "cache_creation_input_tokens": 50,
    "cache_read_input_tokens": 100,
    "cache_creation": {"ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 20},
    "output_tokens_details": {"thinking_tokens": 15},
}


def test_openai_cached_and_reasoning_are_subsets():
    tokens = from_openai(OPENAI_USAGE)
    assert tokens == TokenUsage(input=20, cache_read=100, output=28, reasoning=12)
    assert usage_details(tokens) == {
        "input": 20,
        "input_cached_tokens": 100,
        "output": 28,
        "output_reasoning_tokens": 12,
        "total": 160,
    }


def test_anthropic_cache_tokens_come_on_top_of_input():
    tokens = from_anthropic(ANTHROPIC_USAGE)
    assert tokens == TokenUsage(
        input=120, cache_read=100, cache_write=30, cache_write_1h=20, output=25, reasoning=15
    )
    # Split by TTL, without the combined key: Langfuse would count the writes twice.
    assert usage_details(tokens) == {
        "input": 120,
        "input_cached_tokens": 100,
        "input_cache_creation_5m": 30,
        "input_cache_creation_1h": 20,
        "output": 25,
        "output_reasoning_tokens": 15,
        "total": 310,
    }


def test_anthropic_writes_without_ttl_breakdown_are_5_minute_writes():
    usage = {k: v for k, v in ANTHROPIC_USAGE.items() if k != "cache_creation"}
    tokens = from_anthropic(usage)
    assert (tokens.cache_write, tokens.cache_write_1h) == (50, 0)
    assert usage_details(tokens)["input_cache_creation"] == 50
    assert "input_cache_creation_5m" not in usage_details(tokens)


def test_openai_audio_and_cache_writes_are_split_out_of_prompt_and_completion():
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 600,
        "total_tokens": 1800,
        "prompt_tokens_details": {
            "cached_tokens": 50,
            "audio_tokens": 1000,
            "cache_write_tokens": 30,
        },
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 500},
    }
    tokens = from_openai(usage)
    assert tokens == TokenUsage(
        input=120, cache_read=50, cache_write=30, output=100, input_audio=1000, output_audio=500
    )
    assert usage_details(tokens) == {
        "input": 120,
        "input_cached_tokens": 50,
        "input_cache_creation": 30,
        "input_audio_tokens": 1000,
        "output": 100,
        "output_audio_tokens": 500,
        "total": 1800,
    }


def test_openai_audio_overlapping_cached_tokens_keeps_the_usage():
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 10,
        "prompt_tokens_details": {"cached_tokens": 600, "audio_tokens": 700},
    }
    tokens = from_openai(usage)
    assert (tokens.input, tokens.cache_read, tokens.input_audio) == (0, 600, 400)
    assert total_tokens(tokens) == 1010


@given(
    st.builds(
        TokenUsage,
        **{name: st.integers(0, 10**6) for name in TokenUsage.__dataclass_fields__},
    )
)
def test_no_usage_key_overlaps_another(tokens):
    # Langfuse adds up every key (inputUsage, its own total) and prices each one it has a price
    # for: the keys must partition the tokens.
    details = usage_details(tokens)
    assert sum(value for key, value in details.items() if key != "total") == details["total"]
    assert details["total"] == total_tokens(tokens)


def test_plain_usage_has_only_the_three_base_keys():
    tokens = from_openai({"prompt_tokens": 9, "completion_tokens": 23, "total_tokens": 32})
    assert usage_details(tokens) == {"input": 9, "output": 23, "total": 32}


def test_sdk_objects_are_read_like_dicts():
    from anthropic.types import Usage
    from openai.types import CompletionUsage

    assert from_openai(CompletionUsage(**OPENAI_USAGE)) == from_openai(OPENAI_USAGE)
    assert from_anthropic(Usage(**ANTHROPIC_USAGE)) == from_anthropic(ANTHROPIC_USAGE)


def test_no_usage_is_none_not_zero():
    assert from_openai(None) is None
    assert from_anthropic(None) is None


@pytest.mark.parametrize(
    "bad",
    [
        {**OPENAI_USAGE, "prompt_tokens": 50},  # cached (100) > prompt: inconsistent
        {**OPENAI_USAGE, "completion_tokens": -1},
        {**OPENAI_USAGE, "prompt_tokens": 1.5},
        {**OPENAI_USAGE, "prompt_tokens": "120"},
    ],
)
def test_inconsistent_openai_usage_is_rejected(bad):
    with pytest.raises(ValueError, match="usage"):
        from_openai(bad)


@given(
    prompt=st.integers(0, 10**7),
    cached=st.integers(0, 10**7),
    completion=st.integers(0, 10**7),
    reasoning=st.integers(0, 10**7),
)
def test_openai_total_is_always_prompt_plus_completion(prompt, cached, completion, reasoning):
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
    if cached > prompt or reasoning > completion:
        with pytest.raises(ValueError):
            from_openai(usage)
        return
    tokens = from_openai(usage)
    assert total_tokens(tokens) == prompt + completion
    assert usage_details(tokens)["total"] == prompt + completion


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_responses_web_search_calls_are_counted_from_output_items(status):
    """As dicts too: a ``parse`` whose SDK parsing failed is priced from the raw JSON body."""
    search = {"type": "web_search_call", "id": "ws_1", "status": status, "action": {}}
    response = {
        "usage": {"input_tokens": 10, "output_tokens": 5},
        "output": [search, search, {"type": "message", "content": []}],
    }
    assert from_openai_response(response) == TokenUsage(input=10, output=5, web_searches=2)
    assert from_openai_response({**response, "usage": None}) is None


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_responses_file_search_calls_are_counted_from_output_items(status):
    search = {"type": "file_search_call", "id": "fs_1", "status": status, "queries": ["q"]}
    web = {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {}}
    response = {
        "usage": {"input_tokens": 10, "output_tokens": 5},
        "output": [search, web, search, search, {"type": "message", "content": []}],
    }
    assert from_openai_response(response) == TokenUsage(
        input=10, output=5, web_searches=1, file_searches=3
    )
