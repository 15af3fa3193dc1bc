"""One stored row per observation: filter/sort/metric columns plus pre-encoded JSON fragments."""

from __future__ import annotations

from typing import Any

import orjson

from cost_pipeline.local.encode import (
    SLICED_GROUPS,
    Groups,
    encode_groups,
    encode_metadata,
    extra_fragment,
    split_groups,
)

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


# Doubles hold every integer up to 2**53 exactly. A count beyond it (a client's absurd usage) is
# stored in the metric columns as a float: SQLite's integers stop at 2**63 - 1 and its sum()
# fails on overflow, so one such row would otherwise fail its batch, or the metrics API's sums.
# The usage JSON the v2 API serves keeps the value exactly as sent.
_EXACT_IN_FLOAT = 2**53


def _column(value: int | float | None) -> int | float | None:
    if type(value) is int and not -_EXACT_IN_FLOAT <= value <= _EXACT_IN_FLOAT:
        return float(value)
    return value


def _number(value: Any) -> int | float | None:
    kind = type(value)
    return _column(value) if kind is int or kind is float else None


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


def _metric(given: Any, details: Any, needle: str) -> int | float | None:
    number = _number(given)
    return number if number is not None else _column(sum_keys_containing(details, needle))


_NO_METADATA = object()


def _is_root(declared: Any, parent: Any) -> int:
    """A logical root as the observation says (an app root may keep a physical parent); an
    observation that does not say is a root when it has no parent."""
    if type(declared) is bool:
        return 1 if declared else 0
    return 0 if parent else 1


def build_row(
    obs: dict[str, Any],
    *,
    start_ms: int,
    visible_at_ms: int,
    injected: bool = False,
    truncate_metadata: bool = True,
) -> tuple[Any, ...]:
    """The INSERT parameters for ``obs``, a flat v2 observation object (API key names)."""
    return row_from_groups(
        split_groups(obs),
        obs.get("metadata", _NO_METADATA),
        start_ms=start_ms,
        visible_at_ms=visible_at_ms,
        injected=injected,
        truncate_metadata=truncate_metadata,
        extra=extra_fragment(obs) if injected else b"",
    )


def row_from_groups(
    groups: Groups,
    metadata: Any,
    *,
    start_ms: int,
    visible_at_ms: int,
    injected: bool = False,
    truncate_metadata: bool = True,
    extra: bytes = b"",
) -> tuple[Any, ...]:
    """The INSERT parameters for an observation given as field groups plus its metadata."""
    frags, lengths, io = encode_groups(groups)
    if extra:  # keys outside every group are served with the core group
        frags = frags[: lengths[0]] + extra + frags[lengths[0] :]
        lengths[0] += len(extra)
    m_trunc, m_over = (
        (None, None)
        if metadata is _NO_METADATA
        else encode_metadata(metadata, truncate=truncate_metadata)
    )
    core, basic = groups.get("core", {}), groups.get("basic", {})
    model, usage_group = groups.get("model", {}), groups.get("usage", {})
    trace_context = groups.get("trace_context", {})
    tags = trace_context.get("tags")
    parent = core.get("parentObservationId")
    usage = usage_group.get("usageDetails")
    costs = usage_group.get("costDetails")
    return (
        _text(core.get("id")) or "",
        _text(core.get("traceId")) or "",
        start_ms,
        _text(core.get("type")),
        _text(basic.get("name")),
        _text(basic.get("userId")),
        _text(basic.get("sessionId")),
        _text(basic.get("level")),
        _text(basic.get("version")),
        _text(basic.get("environment")),
        _text(parent) or None,
        _is_root(basic.get("isRootObservation"), parent),
        _text(trace_context.get("release")),
        _text(trace_context.get("traceName")),
        orjson.dumps(tags).decode() if type(tags) is list else None,
        _text(model.get("model")),
        # The metrics API sums Langfuse's total_cost column, which is null (not 0) when no cost
        # could be derived, although the observation JSON shows totalCost 0 for such rows.
        _number(costs.get("total")) if isinstance(costs, dict) else None,
        _metric(usage_group.get("inputUsage"), usage, "input"),
        _metric(usage_group.get("outputUsage"), usage, "output"),
        _number(usage.get("total")) if isinstance(usage, dict) else None,
        visible_at_ms,
        1 if injected else 0,
        *lengths,
        frags,
        io,
        m_trunc,
        m_over,
    )
