"""Store v2-shaped observation objects verbatim, bypassing ingestion (hostile-input tests).

Each object is served exactly as given (unknown keys too); it is listed at its ``startTime``,
or at ``_listStartTime`` when present, which also lets a test list a row whose own startTime
lies outside the requested window, or one with no startTime at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cost_pipeline.local.rows import build_row
from cost_pipeline.local.timefmt import now_ms, parse_iso_ms

LIST_AT_KEY = "_listStartTime"


class InjectError(ValueError):
    pass


def injected_rows(payload: Any, visibility_delay_s: float) -> list[tuple[Any, ...]]:
    observations, truncate = _unwrap(payload)
    visible_at = now_ms() + int(visibility_delay_s * 1000)
    rows = []
    for index, raw in enumerate(observations):
        if not isinstance(raw, Mapping):
            raise InjectError(f"observations[{index}] must be an object")
        obs = dict(raw)
        listed_at = obs.pop(LIST_AT_KEY, None) or obs.get("startTime")
        try:
            start_ms = parse_iso_ms(listed_at)
        except (ValueError, TypeError):
            raise InjectError(
                f"observations[{index}] needs an ISO startTime or {LIST_AT_KEY} to be listed"
            ) from None
        rows.append(
            build_row(
                obs,
                start_ms=start_ms,
                visible_at_ms=visible_at,
                injected=True,
                truncate_metadata=truncate,
            )
        )
    return rows


def _unwrap(payload: Any) -> tuple[list[Any], bool]:
    if isinstance(payload, list):
        return payload, True
    if isinstance(payload, Mapping) and isinstance(payload.get("observations"), list):
        return payload["observations"], bool(payload.get("truncate_metadata", True))
    raise InjectError('body must be a JSON array of observations or {"observations": [...]}')
