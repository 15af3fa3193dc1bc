"""The workload of synthetic traffic: a YAML file, validated, with run-config overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

DEFAULT_WORKLOAD = Path(__file__).with_name("workload.yaml")
Provider = Literal["openai", "anthropic"]


class WorkloadError(ValueError):
    """The workload file or an override is not usable; the message says which key and why."""


@dataclass(frozen=True)
class ModelChoice:
    name: str
    provider: Provider
    reasoning_effort: str | None = None
    thinking_budget: int | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    team: str
    weight: float
    system_prompt_tokens: int
    cache_system_prompt: bool
    models: Mapping[str, float]


@dataclass(frozen=True)
class Faults:
    no_usage: float = 0.0
    error: float = 0.0


@dataclass(frozen=True)
class Workload:
    seed: int
    calls_per_partition: int
    stream_share: float
    unattributed_share: float
    users: int
    sessions_per_user: int
    models: Mapping[str, ModelChoice]
    features: tuple[Feature, ...]
    faults: Faults = field(default_factory=Faults)

    def with_overrides(self, **overrides: Any) -> Workload:
        """Scalar keys (seed, calls_per_partition, stream_share, ...) replaced where not None."""
        given = {key: value for key, value in overrides.items() if value is not None}
        unknown = set(given) - _SCALARS.keys()
        if unknown:
            raise WorkloadError(f"cannot override {sorted(unknown)}; edit the workload file")
        checked = {key: _SCALARS[key](key, value) for key, value in given.items()}
        return replace(self, **checked)


def _number(key: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkloadError(f"{key} must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise WorkloadError(f"{key} must be {bounds}, got {value!r}")
    return value


def _share(key: str, value: Any) -> float:
    return float(_number(key, value, 0, 1))


def _count(key: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WorkloadError(f"{key} must be an integer, got {value!r}")
    return int(_number(key, value, low))


_SCALARS = {
    "seed": lambda k, v: _count(k, v),
    "calls_per_partition": lambda k, v: _count(k, v),
    "stream_share": _share,
    "unattributed_share": _share,
    "users": lambda k, v: _count(k, v, 1),
    "sessions_per_user": lambda k, v: _count(k, v, 1),
}


def _model(name: str, raw: Any) -> ModelChoice:
    if not isinstance(raw, Mapping) or raw.get("provider") not in ("openai", "anthropic"):
        raise WorkloadError(f"models.{name} needs provider: openai or anthropic")
    budget = raw.get("thinking_budget")
    return ModelChoice(
        name=name,
        provider=raw["provider"],
        reasoning_effort=raw.get("reasoning_effort"),
        thinking_budget=None
        if budget is None
        else _count(f"models.{name}.thinking_budget", budget),
    )


def _feature(index: int, raw: Any, models: Mapping[str, ModelChoice]) -> Feature:
    where = f"features[{index}]"
    if not isinstance(raw, Mapping) or not raw.get("name") or not raw.get("team"):
        raise WorkloadError(f"{where} needs a name and a team")
    weights = raw.get("models")
    if not isinstance(weights, Mapping) or not weights:
        raise WorkloadError(f"{where}.models must map model names to weights")
    unknown = set(weights) - set(models)
    if unknown:
        raise WorkloadError(
            f"{where}.models uses models not listed under models: {sorted(unknown)}"
        )
    return Feature(
        name=str(raw["name"]),
        team=str(raw["team"]),
        weight=_number(f"{where}.weight", raw.get("weight", 1), 0),
        system_prompt_tokens=_count(
            f"{where}.system_prompt_tokens", raw.get("system_prompt_tokens", 0)
        ),
        cache_system_prompt=bool(raw.get("cache_system_prompt", False)),
        models={str(k): _number(f"{where}.models.{k}", v, 0) for k, v in weights.items()},
    )


def parse_workload(raw: Any) -> Workload:
    if not isinstance(raw, Mapping):
        raise WorkloadError("the workload must be a YAML mapping")
    models_raw = raw.get("models")
    if not isinstance(models_raw, Mapping) or not models_raw:
        raise WorkloadError("models must map model names to {provider: ...}")
    models = {str(name): _model(str(name), spec) for name, spec in models_raw.items()}
    features_raw = raw.get("features")
    if not isinstance(features_raw, list) or not features_raw:
        raise WorkloadError("features must be a non-empty list")
    features = tuple(_feature(i, f, models) for i, f in enumerate(features_raw))
    faults_raw = raw.get("faults") or {}
    if not isinstance(faults_raw, Mapping):
        raise WorkloadError("faults must be a mapping")
    scalars = {key: _SCALARS[key](key, raw[key]) for key in _SCALARS if key in raw}
    missing = set(_SCALARS) - set(scalars) - {"unattributed_share"}
    if missing:
        raise WorkloadError(f"missing keys: {sorted(missing)}")
    return Workload(
        **{"unattributed_share": 0.0, **scalars},
        models=models,
        features=features,
        faults=Faults(
            no_usage=_share("faults.no_usage", faults_raw.get("no_usage", 0)),
            error=_share("faults.error", faults_raw.get("error", 0)),
        ),
    )


def load_workload(path: str | Path | None = None) -> Workload:
    source = Path(path) if path else DEFAULT_WORKLOAD
    try:
        raw = yaml.safe_load(source.read_text())
    except OSError as exc:
        raise WorkloadError(f"cannot read workload file {source}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise WorkloadError(f"workload file {source} is not valid YAML: {exc}") from exc
    try:
        return parse_workload(raw)
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None
