"""Attribute delegation shared by the instrumented client proxies."""

from __future__ import annotations

from typing import Any, Self


class Passthrough:
    """Everything not overridden here behaves exactly like the wrapped SDK object."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class InstrumentedClient(Passthrough):
    """A provider SDK client whose calls are recorded with ``config``; the rest passes through."""

    def __init__(self, client: Any, config: Any, *, is_async: bool) -> None:
        super().__init__(client)
        self._config = config
        self._is_async = is_async

    @property
    def unwrapped(self) -> Any:
        """The SDK client itself (calls through it are not recorded)."""
        return self._inner

    def with_options(self, **options: Any) -> Self:
        """The SDK's ``with_options`` / ``copy``, still instrumented with the same context."""
        options_client = self._inner.with_options(**options)
        return type(self)(options_client, self._config, is_async=self._is_async)

    copy = with_options
