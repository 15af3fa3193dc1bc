"""One stored row per observation: filter/sort/metric columns plus pre-encoded JSON fragments."""

from __future__ import annotations

from typing import Any

import orjson

from cost_pipeline.local.encode import SLICED_GROUPS, all_fragments, encode_metadata, extra_fragment

FILTER_COLUMNS: tuple[str, ...] = (
    "id",
    "trace_id",
    "start_ms",
    "type",
    "name",
    "user_id",
    "session_id",
    "level",
    "version",
    "environment",
    "parent_observation_id",
    "is_root",
    "release",
    "trace_name",
    "tags",
    "model",
    "total_cost",
    "input_usage",
    "output_usage",
    "total_usage",
    "visible_at_ms",
    "injected",
)
LENGTH_COLUMNS: tuple[str, ...] = tuple(f"len_{group}" for group in SLICED_GROUPS)
BLOB_COLUMNS: tuple[str, ...] = ("frags", "io", "m_trunc", "m_over")
ROW_COLUMNS: tuple[str, ...] = (*FILTER_COLUMNS, *LENGTH_COLUMNS, *BLOB_COLUMNS)


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return str(value)


def _number(value: Any) -> int | float | None:
    kind = type(value)
    return value if kind is int or kind is float else None


def sum_keys_containing(details: Any, needle: str) -> int | float | None:
    """Sum of the numeric values whose key contains ``needle`` (Langfuse's input/output rule)."""
    if not isinstance(details, dict):
        return None
    total: int | float = 0
    found = False
    for key, value in details.items():
        if needle in key and (type(value) is int or type(value) is float):
            total += value
            found = True
    return total if found else None


def _metric(obs: dict[str, Any], key: str, details: Any, needle: str) -> int | float | None:
    given = _number(obs.get(key))
    return given if given is not None else sum_keys_containing(details, needle)


def build_row(
    obs: dict[str, Any],
    *,
    start_ms: int,
    visible_at_ms: int,
    injected: bool = False,
    truncate_metadata: bool = True,
) -> tuple[Any, ...]:
    """The INSERT parameters for ``obs`` (a v2 observation object with API key names)."""
    frags, lengths, io = all_fragments(obs)
    if injected:
        extra = extra_fragment(obs)
        frags = frags[: lengths[0]] + extra + frags[lengths[0] :]
        lengths[0] += len(extra)
    m_trunc, m_over = (
        encode_metadata(obs["metadata"], truncate=truncate_metadata)
        if "metadata" in obs
        else (None, None)
    )
    get = obs.get
    tags = get("tags")
    parent = get("parentObservationId")
    usage = get("usageDetails")
    costs = get("costDetails")
    return (
        _text(get("id")) or "",
        _text(get("traceId")) or "",
        start_ms,
        _text(get("type")),
        _text(get("name")),
        _text(get("userId")),
        _text(get("sessionId")),
        _text(get("level")),
        _text(get("version")),
        _text(get("environment")),
        _text(parent) or None,
        0 if parent else 1,
        _text(get("release")),
        _text(get("traceName")),
        orjson.dumps(tags).decode() if type(tags) is list else None,
        _text(get("model")),
        # The metrics API sums Langfuse's total_cost column, which is null (not 0) when no cost
        # could be derived, although the observation JSON shows totalCost 0 for such rows.
        _number(costs.get("total")) if isinstance(costs, dict) else None,
        _metric(obs, "inputUsage", usage, "input"),
        _metric(obs, "outputUsage", usage, "output"),
        _number(usage.get("total")) if isinstance(usage, dict) else None,
        visible_at_ms,
        1 if injected else 0,
        *lengths,
        frags,
        io,
        m_trunc,
        m_over,
    )
