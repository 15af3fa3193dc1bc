"""Realistic generation rows for one UTC day, deterministic per (seed, day, chunk).

Rows look like what OTLP ingestion stores for the project's instrumented calls: business
context in metadata and tags, both providers, cache and reasoning tokens, some unknown models,
some rows without feature or team, many equal start times, and OTel resourceAttributes and
scope in the metadata (so a row is ~1.3 KB in the loader's field set).
"""

from __future__ import annotations

import bisect
import random
import uuid
from dataclasses import dataclass
from typing import Any

from cost_pipeline import settings
from cost_pipeline.local.config import PROJECT_ID
from cost_pipeline.local.cost import compute_cost, cost_sum, match_model
from cost_pipeline.local.rows import build_row, sum_keys_containing
from cost_pipeline.local.timefmt import iso_ms

FEATURES = (
    "search",
    "summarize",
    "chat",
    "support-bot",
    "code-review",
    "classify",
    "extract",
    "translate",
    "recommend",
    "agent-planner",
    "email-draft",
    "sql-assistant",
)
TEAMS = ("growth", "platform", "support", "data", "payments", "search-quality")
# (model, provider, reasoning?) - unknown models have no price and must stay unpriced
MODELS = (
    ("gpt-4o-mini", "openai", False),
    ("gpt-4o", "openai", False),
    ("gpt-4.1-mini", "openai", False),
    ("gpt-5-mini", "openai", True),
    ("o4-mini", "openai", True),
    ("claude-haiku-4-5", "anthropic", False),
    ("claude-sonnet-4-6", "anthropic", False),
    ("claude-opus-4-1", "anthropic", True),
    ("acme-llama-3-70b-internal", "self-hosted", False),
    ("mistral-sft-support-v2", "self-hosted", False),
)
MODEL_WEIGHTS = (30, 10, 12, 8, 5, 14, 9, 2, 6, 4)
# Share of traffic per UTC hour: quiet nights, busy working hours.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 8, 6, 5, 4, 3, 3, 2)
SDK_VERSION = "5.0.4"
DAY_MS = 86_400_000


@dataclass(frozen=True)
class ChunkSpec:
    seed: int
    day_start_ms: int
    index: int
    count: int
    first_quantile: float  # this chunk's share of the day's traffic, as a CDF interval
    last_quantile: float


def _hour_cdf() -> list[float]:
    total = sum(HOUR_WEIGHTS)
    cdf, running = [0.0], 0.0
    for weight in HOUR_WEIGHTS:
        running += weight
        cdf.append(running / total)
    return cdf


_CDF = _hour_cdf()


def day_offset_ms(quantile: float) -> int:
    """Inverse CDF of the diurnal profile: quantile in [0, 1) -> ms into the day."""
    hour = min(bisect.bisect_right(_CDF, quantile) - 1, 23)
    span = _CDF[hour + 1] - _CDF[hour]
    within = (quantile - _CDF[hour]) / span if span else 0.0
    return min(int((hour + within) * 3_600_000), DAY_MS - 1)


def _usage(rng: random.Random, provider: str, reasoning: bool) -> dict[str, int]:
    prompt = int(rng.lognormvariate(6.5, 0.9)) + 20
    output = int(rng.lognormvariate(5.0, 0.8)) + 5
    usage: dict[str, int] = {}
    cached = int(prompt * rng.choice((0, 0, 0.5, 0.8))) if prompt > 1024 else 0
    if provider == "anthropic":
        write = int(prompt * 0.3) if rng.random() < 0.15 else 0
        usage = {"input": prompt - cached - write, "input_cached_tokens": cached, "output": output}
        if write:
            usage["input_cache_creation"] = write
            if rng.random() < 0.3:
                usage["input_cache_creation_1h"] = write
    else:
        usage = {"input": prompt - cached, "input_cached_tokens": cached, "output": output}
    if reasoning:
        usage["output_reasoning_tokens"] = int(output * rng.uniform(0.5, 3.0))
    usage["total"] = sum(usage.values()) - usage.get("input_cache_creation_1h", 0)
    return usage


def _resources() -> tuple[dict[str, Any], ...]:
    """What 32 processes (a few services, several replicas each) report as OTel resource."""
    rng = random.Random("resources")
    return tuple(
        {
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": "1.45.2",
            "service.name": ("api-gateway", "worker", "assistant-backend", "batch")[i % 4],
            "service.instance.id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        }
        for i in range(32)
    )


RESOURCES = _resources()


def generation(rng: random.Random, start_ms: int, public_key: str) -> dict[str, Any]:
    model, provider, reasoning = rng.choices(MODELS, MODEL_WEIGHTS)[0]
    feature = rng.choice(FEATURES)
    team = TEAMS[FEATURES.index(feature) % len(TEAMS)] if rng.random() < 0.8 else rng.choice(TEAMS)
    environment = "production" if rng.random() < 0.9 else "staging"
    user = f"user-{rng.randrange(5000):04d}" if rng.random() < 0.95 else ""
    latency = int(rng.lognormvariate(7.0, 0.7)) + 50
    ttft = int(latency * rng.uniform(0.1, 0.5))
    failed = rng.random() < 0.01
    usage = {} if failed else _usage(rng, provider, reasoning)
    match = match_model(model)
    cost = compute_cost(match, usage, None)
    metadata: dict[str, Any] = {"feature": feature, "team": team}
    roll = rng.random()
    if roll < 0.05:
        del metadata["team"]
    elif roll < 0.09:
        metadata = {}
    metadata |= {
        "resourceAttributes": RESOURCES[rng.getrandbits(5)],
        "scope": {
            "name": "langfuse-sdk",
            "version": SDK_VERSION,
            "attributes": {"public_key": public_key},
        },
    }
    tags = [f"{k}:{v}" for k, v in metadata.items() if k in ("feature", "team")]
    end_ms = start_ms + latency
    created = iso_ms(end_ms + 800)
    return {
        "id": f"{rng.getrandbits(64):016x}",
        "traceId": f"{rng.getrandbits(128):032x}",
        "startTime": iso_ms(start_ms),
        "endTime": iso_ms(end_ms),
        "projectId": PROJECT_ID,
        "parentObservationId": f"{rng.getrandbits(64):016x}",
        "type": "GENERATION",
        "name": f"{provider}.{feature}",
        "level": "ERROR" if failed else "DEFAULT",
        "statusMessage": "upstream 529 overloaded" if failed else "",
        "version": "2026.11.3",
        "environment": environment,
        "bookmarked": False,
        "public": False,
        "userId": user,
        "sessionId": f"sess-{rng.getrandbits(40):010x}" if user else "",
        "isRootObservation": False,
        "completionStartTime": None if failed else iso_ms(start_ms + ttft),
        "createdAt": created,
        "updatedAt": created,
        "input": f'[{{"role": "user", "content": "({feature}) request {rng.getrandbits(32)}"}}]',
        "output": None if failed else '{"role": "assistant", "content": "ok"}',
        "metadata": metadata,
        "model": model,
        "internalModelId": match.model_id if match else None,
        "modelParameters": {"temperature": 0.2, "max_tokens": 1024},
        "usageDetails": usage,
        "inputUsage": sum_keys_containing(usage, "input") or 0,
        "outputUsage": sum_keys_containing(usage, "output") or 0,
        "totalUsage": usage.get("total", 0),
        "costDetails": cost.cost_details,
        "inputCost": cost_sum(cost.cost_details, "input"),
        "outputCost": cost_sum(cost.cost_details, "output"),
        "totalCost": cost.total_cost or 0,
        "usagePricingTierId": None,
        "usagePricingTierName": None,
        "promptId": "",
        "promptName": "",
        "promptVersion": None,
        "latency": latency / 1000,
        "timeToFirstToken": None if failed else ttft / 1000,
        "tags": tags,
        "release": "",
        "traceName": f"{feature}-request",
        "modelId": match.model_id if match else None,
        "inputPrice": match.input_price if match else None,
        "outputPrice": match.output_price if match else None,
        "totalPrice": None,
    }


def chunk_rows(spec: ChunkSpec, visible_at_ms: int) -> list[tuple[Any, ...]]:
    rng = random.Random(f"{spec.seed}:{spec.day_start_ms}:{spec.index}")
    width = spec.last_quantile - spec.first_quantile
    quantiles = sorted(spec.first_quantile + rng.random() * width for _ in range(spec.count))
    public_key = settings.langfuse_connection().public_key
    rows = []
    previous_ms = None
    for quantile in quantiles:
        start_ms = spec.day_start_ms + day_offset_ms(quantile)
        # About one row in six shares its start time with the row before: ties in the cursor.
        if previous_ms is not None and rng.random() < 0.15:
            start_ms = previous_ms
        previous_ms = start_ms
        obs = generation(rng, start_ms, public_key)
        rows.append(build_row(obs, start_ms=start_ms, visible_at_ms=visible_at_ms))
    return rows
