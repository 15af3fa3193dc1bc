"""Keep API keys out of every message, repr and log line we produce."""

from __future__ import annotations

from collections.abc import Iterable

# How many trailing characters of a key may be shown so a user can tell which key is in use.
_VISIBLE_TAIL = 4


def mask_key(key: str | None) -> str:
    """``pk-lf-…1234``: the conventional prefix and the last characters, never the whole key."""
    if not key:
        return "(empty)"
    if len(key) <= 2 * _VISIBLE_TAIL + 4:
        return "…" * 3
    prefix = key[:6] if key.startswith(("pk-lf-", "sk-lf-")) else ""
    return f"{prefix}…{key[-_VISIBLE_TAIL:]}"


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
