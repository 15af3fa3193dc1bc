"""Seeded draws -> stored rows, via cached fragments (fast) or a plain v2 object (reference).

Rows look like what OTLP ingestion stores for the project's instrumented calls: business
context in metadata and tags, both providers, cache and reasoning tokens, some unknown models,
some rows without feature or team, many equal start times, and OTel resourceAttributes and
scope in the metadata (~1.5 KB per row in the loader's field set).

Most groups of a seeded row repeat across rows (model, prices, tags per feature/team, the
metadata per resource), so the fast path encodes those once and only dumps the groups that
change; ``tests`` check it yields exactly what the generic ``build_row`` would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from cost_pipeline import settings
from cost_pipeline.local.config import PROJECT_ID
from cost_pipeline.local.cost import compute_cost, cost_sum, match_model
from cost_pipeline.local.encode import encode_metadata
from cost_pipeline.local.rows import sum_keys_containing
from cost_pipeline.local.seed_draw import MODELS, RESOURCES, Draw, day_offset_ms, draw
from cost_pipeline.local.timefmt import iso_ms

SDK_VERSION = "5.0.4"
APP_VERSION = "2026.11.3"
MODEL_PARAMETERS = {"temperature": 0.2, "max_tokens": 1024}
OUTPUT = '{"role": "assistant", "content": "ok"}'


@dataclass(frozen=True)
class ChunkSpec:
    seed: int
    day_start_ms: int
    index: int
    count: int
    first_quantile: float  # this chunk's share of the day's traffic, as a CDF interval
    last_quantile: float


def _metadata(d: Draw, public_key: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if d.has_feature:
        metadata["feature"] = d.feature
    if d.has_team:
        metadata["team"] = d.team
    metadata["resourceAttributes"] = RESOURCES[d.resource_index]
    metadata["scope"] = {
        "name": "langfuse-sdk",
        "version": SDK_VERSION,
        "attributes": {"public_key": public_key},
    }
    return metadata


def _tags(d: Draw) -> list[str]:
    tags = [f"feature:{d.feature}"] if d.has_feature else []
    return [*tags, f"team:{d.team}"] if d.has_team else tags


def _varying(d: Draw) -> dict[str, Any]:
    """The fields that change from row to row, by API key."""
    model, provider, _ = MODELS[d.model_index]
    end_ms = d.start_ms + d.latency_ms
    created = iso_ms(end_ms + 800)
    cost = compute_cost(match_model(model), d.usage, None)
    return {
        "core": {
            "id": d.id,
            "traceId": d.trace_id,
            "startTime": iso_ms(d.start_ms),
            "endTime": iso_ms(end_ms),
            "projectId": PROJECT_ID,
            "parentObservationId": d.parent_id,
            "type": "GENERATION",
        },
        "basic": {
            "name": f"{provider}.{d.feature}",
            "level": "ERROR" if d.failed else "DEFAULT",
            "statusMessage": "upstream 529 overloaded" if d.failed else "",
            "version": APP_VERSION,
            "environment": d.environment,
            "bookmarked": False,
            "public": False,
            "userId": d.user,
            "sessionId": d.session,
            "isRootObservation": False,
        },
        "time": {
            "completionStartTime": None if d.failed else iso_ms(d.start_ms + d.ttft_ms),
            "createdAt": created,
            "updatedAt": created,
        },
        "usage": {
            "usageDetails": d.usage,
            "inputUsage": sum_keys_containing(d.usage, "input") or 0,
            "outputUsage": sum_keys_containing(d.usage, "output") or 0,
            "totalUsage": d.usage.get("total", 0),
            "costDetails": cost.cost_details,
            "inputCost": cost_sum(cost.cost_details, "input"),
            "outputCost": cost_sum(cost.cost_details, "output"),
            "totalCost": cost.total_cost or 0,
            "usagePricingTierId": None,
            "usagePricingTierName": None,
        },
        "metrics": {
            "latency": d.latency_ms / 1000,
            "timeToFirstToken": None if d.failed else d.ttft_ms / 1000,
        },
        "io": {
            "input": f'[{{"role": "user", "content": "({d.feature}) request {d.nonce}"}}]',
            "output": None if d.failed else OUTPUT,
        },
    }


def _model_groups(model_index: int) -> dict[str, dict[str, Any]]:
    model = MODELS[model_index][0]
    match = match_model(model)
    return {
        "model": {
            "model": model,
            "internalModelId": match.model_id if match else None,
            "modelParameters": MODEL_PARAMETERS,
        },
        "prices": {
            "modelId": match.model_id if match else None,
            "inputPrice": match.input_price if match else None,
            "outputPrice": match.output_price if match else None,
            "totalPrice": None,
        },
    }


def _trace_context(d: Draw) -> dict[str, Any]:
    return {"tags": _tags(d), "release": "", "traceName": f"{d.feature}-request"}


PROMPT = {"promptId": "", "promptName": "", "promptVersion": None}


def observation(d: Draw, public_key: str) -> dict[str, Any]:
    """The reference: the draw as a flat v2 observation object (what the API serves)."""
    groups = _varying(d) | _model_groups(d.model_index)
    flat: dict[str, Any] = {}
    for group in groups.values():
        flat |= group
    return flat | _trace_context(d) | PROMPT | {"metadata": _metadata(d, public_key)}


def _fragment(group: dict[str, Any]) -> bytes:
    return b"," + orjson.dumps(group)[1:-1]


class RowEncoder:
    """Rows for draws, with the repeating fragments encoded once per distinct value."""

    def __init__(self, public_key: str) -> None:
        self.public_key = public_key
        self._prompt = _fragment(PROMPT)

    @lru_cache(maxsize=64)  # noqa: B019 - one encoder per chunk; the cache dies with it
    def _model(self, model_index: int) -> tuple[bytes, bytes]:
        groups = _model_groups(model_index)
        return _fragment(groups["model"]), _fragment(groups["prices"])

    @lru_cache(maxsize=512)  # noqa: B019
    def _context(
        self, feature: str, team: str, has_feature: bool, has_team: bool
    ) -> tuple[bytes, str | None]:
        probe = Draw(
            "",
            "",
            "",
            0,
            0,
            0,
            0,
            feature,
            team,
            has_feature,
            has_team,
            "",
            "",
            "",
            False,
            {},
            0,
            0,
        )
        tags = _tags(probe)
        return _fragment(_trace_context(probe)), orjson.dumps(tags).decode()

    @lru_cache(maxsize=16384)  # noqa: B019
    def _metadata(
        self, feature: str, team: str, has_feature: bool, has_team: bool, resource: int
    ) -> tuple[bytes, bytes | None]:
        probe = Draw(
            "",
            "",
            "",
            0,
            0,
            0,
            0,
            feature,
            team,
            has_feature,
            has_team,
            "",
            "",
            "",
            False,
            {},
            resource,
            0,
        )
        return encode_metadata(_metadata(probe, self.public_key))

    def row(self, d: Draw, visible_at_ms: int) -> tuple[Any, ...]:
        varying = _varying(d)
        model_fragment, prices_fragment = self._model(d.model_index)
        context_fragment, tags_json = self._context(d.feature, d.team, d.has_feature, d.has_team)
        parts = [
            _fragment(varying["core"]),
            _fragment(varying["basic"]),
            _fragment(varying["time"]),
            model_fragment,
            _fragment(varying["usage"]),
            context_fragment,
            _fragment(varying["metrics"]),
            prices_fragment,
            self._prompt,
        ]
        m_trunc, m_over = self._metadata(
            d.feature, d.team, d.has_feature, d.has_team, d.resource_index
        )
        usage, basic = varying["usage"], varying["basic"]
        cost_total = usage["costDetails"].get("total")
        return (
            d.id,
            d.trace_id,
            d.start_ms,
            "GENERATION",
            basic["name"],
            d.user,
            d.session,
            basic["level"],
            APP_VERSION,
            d.environment,
            d.parent_id,
            0,
            "",
            f"{d.feature}-request",
            tags_json,
            MODELS[d.model_index][0],
            cost_total,
            usage["inputUsage"],
            usage["outputUsage"],
            d.usage.get("total"),
            visible_at_ms,
            0,
            *(len(part) for part in parts),
            b"".join(parts),
            _fragment(varying["io"]),
            m_trunc,
            m_over,
        )


def chunk_draws(spec: ChunkSpec) -> list[Draw]:
    rng = random.Random(f"{spec.seed}:{spec.day_start_ms}:{spec.index}")
    width = spec.last_quantile - spec.first_quantile
    quantiles = sorted(spec.first_quantile + rng.random() * width for _ in range(spec.count))
    draws = []
    previous_ms = None
    for quantile in quantiles:
        start_ms = spec.day_start_ms + day_offset_ms(quantile)
        # About one row in six shares its start time with the row before: ties in the cursor.
        if previous_ms is not None and rng.random() < 0.15:
            start_ms = previous_ms
        previous_ms = start_ms
        draws.append(draw(rng, start_ms))
    return draws


def chunk_rows(spec: ChunkSpec, visible_at_ms: int) -> list[tuple[Any, ...]]:
    encoder = RowEncoder(settings.langfuse_connection().public_key)
    return [encoder.row(d, visible_at_ms) for d in chunk_draws(spec)]
