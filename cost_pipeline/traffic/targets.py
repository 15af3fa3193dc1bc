"""Where synthetic traffic goes: the provider simulator (default) or, explicitly, real APIs.

Simulator mode uses OPENAI_BASE_URL / ANTHROPIC_BASE_URL when set, otherwise the simulator of
the serve-local behind LANGFUSE_BASE_URL, and a placeholder key (real keys never go to a
simulator). Live mode (LLM_TRAFFIC_MODE=live) needs the providers' API keys and caps the number
of calls at ``max_live_calls``, because every call costs money.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from cost_pipeline import settings

Mode = Literal["simulator", "live"]
SIMULATOR_KEY = "sim-key-not-secret"
REAL_PROVIDER_HOSTS = frozenset({"api.openai.com", "api.anthropic.com"})
_KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_URL_VARS = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}
_SIMULATOR_PATHS = {"openai": "/openai/v1", "anthropic": "/anthropic"}


class TargetError(ValueError):
    """Traffic cannot be sent as configured (missing key, simulator URL pointing at a real API)."""


@dataclass(frozen=True)
class ProviderTarget:
    base_url: str | None  # None: the SDK's default (the real API)
    api_key: str

    def __repr__(self) -> str:  # keys stay out of logs and error messages
        return f"ProviderTarget(base_url={self.base_url!r})"


@dataclass(frozen=True)
class Targets:
    mode: Mode
    providers: Mapping[str, ProviderTarget]  # only the providers traffic may use
    max_calls: int | None  # None: no cap (simulator)


def resolve_mode(configured: str | None, environ: Mapping[str, str] | None = None) -> Mode:
    environ = os.environ if environ is None else environ
    mode = (configured or environ.get("LLM_TRAFFIC_MODE") or "simulator").strip().lower()
    if mode not in ("simulator", "live"):
        raise TargetError(f"LLM_TRAFFIC_MODE must be 'simulator' or 'live', not {mode!r}")
    return mode  # type: ignore[return-value]


def resolve_targets(
    mode: Mode, *, max_live_calls: int, environ: Mapping[str, str] | None = None
) -> Targets:
    environ = os.environ if environ is None else environ
    if mode == "live":
        return _live(max_live_calls, environ)
    base = settings.langfuse_connection().base_url
    providers = {}
    for provider, path in _SIMULATOR_PATHS.items():
        url = environ.get(_URL_VARS[provider]) or f"{base}{path}"
        if urlparse(url).hostname in REAL_PROVIDER_HOSTS:
            raise TargetError(
                f"{_URL_VARS[provider]} points at the real API ({url}) but LLM_TRAFFIC_MODE is "
                "not 'live'; unset it to use the simulator, or set LLM_TRAFFIC_MODE=live"
            )
        providers[provider] = ProviderTarget(base_url=url, api_key=SIMULATOR_KEY)
    return Targets(mode="simulator", providers=providers, max_calls=None)


def _live(max_live_calls: int, environ: Mapping[str, str]) -> Targets:
    if max_live_calls < 0:
        raise TargetError("max_live_calls must be >= 0")
    providers = {
        provider: ProviderTarget(base_url=environ.get(_URL_VARS[provider]), api_key=key)
        for provider, var in _KEY_VARS.items()
        if (key := environ.get(var, "").strip())
    }
    if not providers:
        raise TargetError("LLM_TRAFFIC_MODE=live needs OPENAI_API_KEY and/or ANTHROPIC_API_KEY")
    return Targets(mode="live", providers=providers, max_calls=max_live_calls)
