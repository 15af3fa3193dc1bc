"""Which calls a partition gets: deterministic for a (seed, day), start times inside the day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cost_pipeline.traffic.workload import Feature, ModelChoice, Workload, WorkloadError

_WORDS = (
    *("invoice", "refund", "latency", "quota", "migration", "dashboard", "export", "token"),
    *("cache", "pricing", "summary", "incident", "release", "customer", "report", "query"),
)
_ERROR_STATUSES = {"openai": (429, 500), "anthropic": (429, 500, 529)}


@dataclass(frozen=True)
class PlannedCall:
    index: int
    start: datetime  # UTC, inside the partition's day
    feature: Feature  # shapes the prompt even when the call is unattributed
    attributed: bool  # False: sent without feature / team
    model: ModelChoice
    user_id: str
    session_id: str
    stream: bool
    fault: str | None  # x-simulator-fault value, simulator only
    question: str


def day_window(day: date, now: datetime) -> tuple[datetime, datetime]:
    """[start of day, min(end of day, now)): today's traffic never lies in the future."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = min(start + timedelta(days=1), now)
    if end <= start:
        raise WorkloadError(f"partition {day} has not started yet (now is {now:%Y-%m-%dT%H:%M}Z)")
    return start, end


def _pick(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _fault(rng: random.Random, workload: Workload, provider: str) -> str | None:
    roll = rng.random()
    if roll < workload.faults.error:
        return f"status-{rng.choice(_ERROR_STATUSES[provider])}"
    if roll < workload.faults.error + workload.faults.no_usage:
        return "no-usage"
    return None


def plan_calls(
    workload: Workload, day: date, now: datetime, *, with_faults: bool = True
) -> list[PlannedCall]:
    start, end = day_window(day, now)
    rng = random.Random(f"{workload.seed}:{day.isoformat()}")
    span_us = int((end - start) / timedelta(microseconds=1))
    offsets = sorted(rng.randrange(span_us) for _ in range(workload.calls_per_partition))
    feature_weights = [feature.weight for feature in workload.features]
    calls = []
    for index, offset in enumerate(offsets):
        feature = workload.features[_pick(rng, feature_weights)]
        model_names = list(feature.models)
        model_name = model_names[_pick(rng, [feature.models[m] for m in model_names])]
        model = workload.models[model_name]
        user = rng.randrange(1, workload.users + 1)
        session = rng.randrange(1, workload.sessions_per_user + 1)
        question = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(6, 30)))
        calls.append(
            PlannedCall(
                index=index,
                start=start + timedelta(microseconds=offset),
                feature=feature,
                attributed=rng.random() >= workload.unattributed_share,
                model=model,
                user_id=f"user-{user:03d}",
                session_id=f"sess-{day:%Y%m%d}-{user:03d}-{session}",
                stream=rng.random() < workload.stream_share,
                fault=_fault(rng, workload, model.provider) if with_faults else None,
                question=f"Request {index}: {question}?",
            )
        )
    return calls
