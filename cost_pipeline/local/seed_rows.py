"""Seeded draws -> stored rows, via cached fragments (fast) or a plain v2 object (reference).

Rows look like what OTLP ingestion stores for the project's instrumented calls: business
context in metadata and tags, both providers, cache and reasoning tokens, some unknown models,
some rows without feature or team, many equal start times, and OTel resourceAttributes and
scope in the metadata (~1.5 KB per row in the loader's field set).

The fast path (``RowEncoder``) encodes the groups that repeat across rows (model, prices,
tags and metadata per feature/team/resource) once per value, and writes the groups whose
values never need JSON escaping (hex ids, ISO times, fixed words) with f-strings. A test keeps
it byte-identical to the reference path: ``observation()`` + the generic ``build_row``.
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
FAILURE = "upstream 529 overloaded"
PROMPT = {"promptId": "", "promptName": "", "promptVersion": None}


@dataclass(frozen=True)
class ChunkSpec:
    seed: int
    day_start_ms: int
    index: int
    count: int
    first_quantile: float  # this chunk's share of the day's traffic, as a CDF interval
    last_quantile: float


@dataclass(frozen=True)
class Context:
    """The business context of a draw: what its tags and metadata are made of."""

    feature: str
    team: str
    has_feature: bool
    has_team: bool

    @classmethod
    def of(cls, d: Draw) -> Context:
        return cls(d.feature, d.team, d.has_feature, d.has_team)

    def tags(self) -> list[str]:
        tags = [f"feature:{self.feature}"] if self.has_feature else []
        return [*tags, f"team:{self.team}"] if self.has_team else tags

    def trace_context(self) -> dict[str, Any]:
        return {"tags": self.tags(), "release": "", "traceName": f"{self.feature}-request"}

    def metadata(self, resource_index: int, public_key: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        if self.has_feature:
            metadata["feature"] = self.feature
        if self.has_team:
            metadata["team"] = self.team
        metadata["resourceAttributes"] = RESOURCES[resource_index]
        metadata["scope"] = {
            "name": "langfuse-sdk",
            "version": SDK_VERSION,
            "attributes": {"public_key": public_key},
        }
        return metadata


def _usage_group(d: Draw) -> dict[str, Any]:
    cost = compute_cost(match_model(MODELS[d.model_index][0]), d.usage, None)
    return {
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
    }


def _metrics_group(d: Draw) -> dict[str, Any]:
    return {
        "latency": d.latency_ms / 1000,
        "timeToFirstToken": None if d.failed else d.ttft_ms / 1000,
    }


def _io_group(d: Draw) -> dict[str, Any]:
    return {
        "input": f'[{{"role": "user", "content": "({d.feature}) request {d.nonce}"}}]',
        "output": None if d.failed else OUTPUT,
    }


def _model_groups(model_index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    model = MODELS[model_index][0]
    match = match_model(model)
    model_group = {
        "model": model,
        "internalModelId": match.model_id if match else None,
        "modelParameters": MODEL_PARAMETERS,
    }
    prices = {
        "modelId": match.model_id if match else None,
        "inputPrice": match.input_price if match else None,
        "outputPrice": match.output_price if match else None,
        "totalPrice": None,
    }
    return model_group, prices


def observation(d: Draw, public_key: str) -> dict[str, Any]:
    """The reference: the draw as a flat v2 observation object (what the API serves)."""
    end_ms = d.start_ms + d.latency_ms
    created = iso_ms(end_ms + 800)
    context = Context.of(d)
    model_group, prices = _model_groups(d.model_index)
    return {
        "id": d.id,
        "traceId": d.trace_id,
        "startTime": iso_ms(d.start_ms),
        "endTime": iso_ms(end_ms),
        "projectId": PROJECT_ID,
        "parentObservationId": d.parent_id,
        "type": "GENERATION",
        "name": f"{MODELS[d.model_index][1]}.{d.feature}",
        "level": "ERROR" if d.failed else "DEFAULT",
        "statusMessage": FAILURE if d.failed else "",
        "version": APP_VERSION,
        "environment": d.environment,
        "bookmarked": False,
        "public": False,
        "userId": d.user,
        "sessionId": d.session,
        "isRootObservation": False,
        "completionStartTime": None if d.failed else iso_ms(d.start_ms + d.ttft_ms),
        "createdAt": created,
        "updatedAt": created,
        **model_group,
        **_usage_group(d),
        **context.trace_context(),
        **_metrics_group(d),
        **prices,
        **PROMPT,
        **_io_group(d),
        "metadata": context.metadata(d.resource_index, public_key),
    }


def _fragment(group: dict[str, Any]) -> bytes:
    return b"," + orjson.dumps(group)[1:-1]


class RowEncoder:
    """Rows for draws, with the repeating fragments encoded once per distinct value."""

    def __init__(self, public_key: str) -> None:
        self.public_key = public_key
        self._prompt = _fragment(PROMPT)
        self._model = lru_cache(maxsize=64)(self._encode_model)
        self._context = lru_cache(maxsize=512)(self._encode_context)
        self._metadata = lru_cache(maxsize=16384)(self._encode_metadata)

    def _encode_model(self, model_index: int) -> tuple[bytes, bytes]:
        model_group, prices = _model_groups(model_index)
        return _fragment(model_group), _fragment(prices)

    def _encode_context(self, context: Context) -> tuple[bytes, str]:
        return _fragment(context.trace_context()), orjson.dumps(context.tags()).decode()

    def _encode_metadata(self, context: Context, resource: int) -> tuple[bytes, bytes | None]:
        return encode_metadata(context.metadata(resource, self.public_key))

    def row(self, d: Draw, visible_at_ms: int) -> tuple[Any, ...]:
        end_ms = d.start_ms + d.latency_ms
        created = iso_ms(end_ms + 800)
        name = f"{MODELS[d.model_index][1]}.{d.feature}"
        level = "ERROR" if d.failed else "DEFAULT"
        # Every value below is a hex id, an ISO time or a fixed word: no JSON escaping needed.
        core = (
            f',"id":"{d.id}","traceId":"{d.trace_id}","startTime":"{iso_ms(d.start_ms)}",'
            f'"endTime":"{iso_ms(end_ms)}","projectId":"{PROJECT_ID}",'
            f'"parentObservationId":"{d.parent_id}","type":"GENERATION"'
        )
        basic = (
            f',"name":"{name}","level":"{level}",'
            f'"statusMessage":"{FAILURE if d.failed else ""}","version":"{APP_VERSION}",'
            f'"environment":"{d.environment}","bookmarked":false,"public":false,'
            f'"userId":"{d.user}","sessionId":"{d.session}","isRootObservation":false'
        )
        completion = "null" if d.failed else f'"{iso_ms(d.start_ms + d.ttft_ms)}"'
        times = (
            f',"completionStartTime":{completion},"createdAt":"{created}","updatedAt":"{created}"'
        )
        usage = _usage_group(d)
        model_fragment, prices_fragment = self._model(d.model_index)
        context = Context.of(d)
        context_fragment, tags_json = self._context(context)
        parts = [
            core.encode(),
            basic.encode(),
            times.encode(),
            model_fragment,
            _fragment(usage),
            context_fragment,
            _fragment(_metrics_group(d)),
            prices_fragment,
            self._prompt,
        ]
        m_trunc, m_over = self._metadata(context, d.resource_index)
        return (
            d.id,
            d.trace_id,
            d.start_ms,
            "GENERATION",
            name,
            d.user,
            d.session,
            level,
            APP_VERSION,
            d.environment,
            d.parent_id,
            0,
            "",
            f"{d.feature}-request",
            tags_json,
            MODELS[d.model_index][0],
            usage["costDetails"].get("total"),
            usage["inputUsage"],
            usage["outputUsage"],
            d.usage.get("total"),
            visible_at_ms,
            0,
            *(len(part) for part in parts),
            b"".join(parts),
            _fragment(_io_group(d)),
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
