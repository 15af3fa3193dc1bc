"""Fault and realism knobs: off by default, set at start (flags / env) or at runtime (admin)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import orjson

ENV_PREFIX = "COST_PIPELINE_LOCAL_"
RATE_KNOBS = ("error_rate", "drop_rate", "truncate_rate", "invalid_json_rate", "repeat_cursor_rate")
FAIL_NEXT_KINDS = frozenset(
    {"status", "drop", "truncate", "invalid_json", "repeat_cursor", "delay"}
)


@dataclass
class Knobs:
    rate_limit_per_minute: int = 0  # read routes; 0 = unlimited (self-hosted Langfuse)
    error_rate: float = 0.0  # share of read pages answered 500
    drop_rate: float = 0.0  # connection cut mid-body
    truncate_rate: float = 0.0  # complete 200 whose JSON is cut short
    invalid_json_rate: float = 0.0  # 200 whose body is not JSON at all
    repeat_cursor_rate: float = 0.0  # meta.cursor repeats the request's own cursor
    page_latency_ms: float = 0.0  # added before every read page, like a far network
    visibility_delay_s: float = 0.0  # rows readable only this long after ingestion
    fault_seed: int = 0  # the random faults are a deterministic sequence per seed
    fail_next: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail_next_entry(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError("fail_next entries must be objects")
    entry = dict(raw)
    kind = entry.get("kind", "status" if "status" in entry else None)
    if kind not in FAIL_NEXT_KINDS:
        raise ValueError(f"fail_next kind must be one of {sorted(FAIL_NEXT_KINDS)}")
    entry["kind"] = kind
    entry["count"] = int(entry.get("count", 1))
    if entry["count"] < 1:
        raise ValueError("fail_next count must be >= 1")
    if kind == "status":
        entry["status"] = int(entry.get("status", 500))
        if not 400 <= entry["status"] <= 599:
            raise ValueError("fail_next status must be a 4xx or 5xx code")
        if "retry_after" in entry:
            entry["retry_after"] = float(entry["retry_after"])
    if kind == "delay":
        entry["ms"] = float(entry.get("ms", 1000))
    return entry


def _coerce(name: str, value: Any) -> Any:
    if name == "fail_next":
        if not isinstance(value, list):
            raise ValueError("fail_next must be a list")
        return [_fail_next_entry(item) for item in value]
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    if name in ("rate_limit_per_minute", "fault_seed"):
        number: float = int(value)
    else:
        number = float(value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    if name in RATE_KNOBS and number > 1:
        raise ValueError(f"{name} must be between 0 and 1")
    return number


def validated_updates(updates: Mapping[str, Any]) -> dict[str, Any]:
    """Checked, coerced values; raises ValueError naming the first bad knob (nothing applied)."""
    names = {f.name for f in fields(Knobs)}
    unknown = sorted(set(updates) - names)
    if unknown:
        raise ValueError(f"unknown knob(s): {', '.join(unknown)}")
    try:
        return {name: _coerce(name, value) for name, value in updates.items()}
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def knobs_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Knob values from ``COST_PIPELINE_LOCAL_<NAME>`` variables (fail_next as JSON)."""
    env = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for knob in fields(Knobs):
        raw = env.get(ENV_PREFIX + knob.name.upper())
        if raw is not None and raw != "":
            found[knob.name] = orjson.loads(raw) if knob.name == "fail_next" else raw
    return validated_updates(found)
