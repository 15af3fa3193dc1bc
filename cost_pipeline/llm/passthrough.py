"""Attribute delegation shared by the instrumented client proxies."""

from __future__ import annotations

from typing import Any


class Passthrough:
    """Everything not overridden here behaves exactly like the wrapped SDK object."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
