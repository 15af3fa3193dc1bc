"""Property: whatever the page holds, the parser never fails, keeps every row exactly once, and
accepts a row exactly when an independent Python rule says it is usable (with the same tokens)."""

from datetime import timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_pipeline.warehouse.parse import (
    MAX_TOKENS_PER_OBSERVATION,
    MAX_USD_PER_OBSERVATION,
    USAGE_KEYS,
)
from cost_pipeline_tests.warehouse.observations import iso, observation
from cost_pipeline_tests.warehouse.staging import DAY, WINDOW

MISSING = object()

token_values = st.one_of(
    st.integers(0, MAX_TOKENS_PER_OBSERVATION),
    st.integers(-(2**63), -1),
    st.integers(MAX_TOKENS_PER_OBSERVATION + 1, 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
)
usage = st.one_of(
    st.dictionaries(st.sampled_from((*USAGE_KEYS, "input_audio_tokens")), token_values),
    st.none(),
    st.text(max_size=10),
    st.lists(st.integers(-1000, 1000), max_size=3),
)
cost_total = st.one_of(
    st.floats(0, 2 * MAX_USD_PER_OBSERVATION),
    st.floats(-10, -1e-9),
    st.integers(0, 10),
    st.text(max_size=4),
    st.none(),
)
cost = st.one_of(st.builds(lambda t: {"total": t}, cost_total), st.none(), st.just("free"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
start_times = st.one_of(
    st.integers(0, 86_399_999).map(lambda ms: iso(DAY + timedelta(milliseconds=ms))),
    st.integers(1, 10**9).map(lambda ms: iso(DAY - timedelta(milliseconds=ms))),
    st.integers(0, 10**9).map(lambda ms: iso(DAY + timedelta(days=1, milliseconds=ms))),
    st.sampled_from(["", "yesterday", "2026-13-40T00:00:00Z"]),
    st.just(MISSING),
)
ids = st.one_of(st.text(min_size=1, max_size=20), st.just(""), st.none(), st.just(MISSING))


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    obs = observation(
        "placeholder",
        DAY,
        usageDetails=draw(usage),
        costDetails=draw(cost),
        metadata=draw(json_values),
    )
    for key, value in (("id", draw(ids)), ("startTime", draw(start_times))):
        if value is MISSING:
            del obs[key]
        else:
            obs[key] = value
    return obs


def is_token(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_TOKENS_PER_OBSERVATION


def usable(obs: dict[str, Any]) -> bool:
    if not isinstance(obs.get("id"), str) or not obs["id"] or len(obs["id"]) > 512:
        return False
    start = obs.get("startTime")
    if not isinstance(start, str) or not iso(WINDOW[0]) <= start < iso(WINDOW[1]):
        return False
    details = obs.get("usageDetails")
    if details is not None and not isinstance(details, dict):
        return False
    if details and any(
        value is not None and not is_token(value)
        for key, value in details.items()
        if key in USAGE_KEYS
    ):
        return False
    costs = obs.get("costDetails")
    if costs is not None and not isinstance(costs, dict):
        return False
    total = (costs or {}).get("total")
    return total is None or (type(total) in (int, float) and 0 <= total <= MAX_USD_PER_OBSERVATION)


def expected_tokens(details: dict[str, Any] | None) -> tuple[int, ...]:
    def get(*keys: str) -> int | None:
        return next((details[k] for k in keys if (details or {}).get(k) is not None), None)

    five, hour = get("input_cache_creation_5m"), get("input_cache_creation_1h")
    split = None if five is None and hour is None else (five or 0) + (hour or 0)
    cache_write = get("input_cache_creation")
    if cache_write is None:
        cache_write = (
            split if split is not None else get("cache_creation_input_tokens", "cache_write_tokens")
        )
    cache_read = get("input_cached_tokens", "input_cache_read", "cache_read_input_tokens")
    # Aliases of one class: the first one sent; parts of one class: added up.
    uncached = (get("input", "input_tokens") or 0) + (get("input_text_tokens") or 0)
    output = sum(
        get(*keys) or 0
        for keys in (
            ("output", "output_tokens"),
            ("output_text_tokens",),
            ("output_accepted_prediction_tokens",),
            ("output_rejected_prediction_tokens",),
        )
    )
    return (
        uncached,
        cache_read or 0,
        cache_write or 0,
        output,
        get("input_audio_tokens", "input_audio") or 0,
        get("output_audio_tokens", "output_audio") or 0,
        get("output_reasoning_tokens", "output_reasoning", "reasoning_tokens") or 0,
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=st.lists(observations(), min_size=1, max_size=12))
def test_parser_accepts_exactly_the_usable_rows(stager, page):
    # One DuckDB session for every example: each stage replaces the batch tables.
    staged, rows = stager.stage([orjson.dumps({"data": page, "meta": {}})])
    assert staged.corrupt == []
    assert [row["element_index"] for row in rows] == list(range(len(page)))
    for obs, row in zip(page, rows, strict=True):
        assert (row["reject_reason"] is None) == usable(obs), (obs, row["reject_reason"])
        if row["reject_reason"] is None:
            got = (
                row["uncached_input_tokens"],
                row["cache_read_tokens"],
                row["cache_write_tokens"],
                row["visible_output_tokens"],
                row["input_audio_tokens"],
                row["output_audio_tokens"],
                row["reasoning_tokens"],
            )
            assert got == expected_tokens(obs.get("usageDetails"))
        else:
            assert orjson.loads(row["raw"]) == obs
