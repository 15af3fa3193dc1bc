"""Keep API keys out of every message, repr and log line we produce."""

from __future__ import annotations

from collections.abc import Iterable

from cost_pipeline.settings import mask_key

__all__ = ["describe_secret", "mask_key", "scrub"]


def describe_secret(secret: str | None) -> str:
    """What may be said about a secret: whether it is set and how long it is."""
    if not secret:
        return "not set"
    return f"set, {len(secret)} characters, not shown"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` (e.g. a server error echoing a key)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, mask_key(secret))
    return text
