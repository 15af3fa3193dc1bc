"""Everything random about one seeded generation, drawn from a seeded RNG.

The draw is the single source of truth; ``seed_rows`` turns it into a stored row (fast path)
and into a plain v2 observation object (reference path), and a test keeps the two identical.
"""

from __future__ import annotations

import bisect
import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

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
_MODEL_CDF = [sum(MODEL_WEIGHTS[: i + 1]) / sum(MODEL_WEIGHTS) for i in range(len(MODELS))]
# Share of traffic per UTC hour: quiet nights, busy working hours.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 8, 6, 5, 4, 3, 3, 2)
DAY_MS = 86_400_000
RESOURCE_COUNT = 32


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
        for i in range(RESOURCE_COUNT)
    )


RESOURCES = _resources()


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


@dataclass(slots=True)
class Draw:
    id: str
    trace_id: str
    parent_id: str
    start_ms: int
    latency_ms: int
    ttft_ms: int
    model_index: int
    feature: str
    team: str
    has_feature: bool  # False: no business context at all (counted as unattributed)
    has_team: bool
    environment: str
    user: str
    session: str
    failed: bool
    usage: dict[str, int]
    resource_index: int
    nonce: int


def _lognormal(rng: random.Random, mu: float, sigma: float) -> int:
    return int(math.exp(mu + sigma * rng.gauss()))


def _usage(rng: random.Random, provider: str, reasoning: bool) -> dict[str, int]:
    prompt = _lognormal(rng, 6.5, 0.9) + 20
    output = _lognormal(rng, 5.0, 0.8) + 5
    cached = int(prompt * (0, 0, 0.5, 0.8)[rng.getrandbits(2)]) if prompt > 1024 else 0
    if provider == "anthropic":
        # Cache writes come out of the uncached part: reads + writes never exceed the prompt.
        write = int((prompt - cached) * 0.3) if rng.random() < 0.15 else 0
        usage = {"input": prompt - cached - write, "input_cached_tokens": cached, "output": output}
        if write:
            usage["input_cache_creation"] = write
            if rng.random() < 0.3:
                usage["input_cache_creation_1h"] = write
    else:
        usage = {"input": prompt - cached, "input_cached_tokens": cached, "output": output}
    if reasoning:
        usage["output_reasoning_tokens"] = int(output * (0.5 + 2.5 * rng.random()))
    # _1h is a subset of input_cache_creation, so it is not added to the total again
    usage["total"] = sum(usage.values()) - usage.get("input_cache_creation_1h", 0)
    return usage


def draw(rng: random.Random, start_ms: int) -> Draw:
    model_index = bisect.bisect_left(_MODEL_CDF, rng.random())
    _, provider, reasoning = MODELS[model_index]
    feature_index = rng.randrange(len(FEATURES))
    team = TEAMS[feature_index % len(TEAMS)] if rng.random() < 0.8 else TEAMS[rng.randrange(6)]
    user = f"user-{rng.randrange(5000):04d}" if rng.random() < 0.95 else ""
    latency = _lognormal(rng, 7.0, 0.7) + 50
    failed = rng.random() < 0.01
    context = rng.random()  # 4% carry no business context, 5% a feature but no team
    return Draw(
        id=f"{rng.getrandbits(64):016x}",
        trace_id=f"{rng.getrandbits(128):032x}",
        parent_id=f"{rng.getrandbits(64):016x}",
        start_ms=start_ms,
        latency_ms=latency,
        ttft_ms=int(latency * (0.1 + 0.4 * rng.random())),
        model_index=model_index,
        feature=FEATURES[feature_index],
        team=team,
        has_feature=context >= 0.04,
        has_team=context >= 0.09,
        environment="production" if rng.random() < 0.9 else "staging",
        user=user,
        session=f"sess-{rng.getrandbits(40):010x}" if user else "",
        failed=failed,
        usage={} if failed else _usage(rng, provider, reasoning),
        resource_index=rng.getrandbits(5),
        nonce=rng.getrandbits(32),
    )
