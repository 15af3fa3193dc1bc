"""Distinctive Langfuse-format keys and a check that no piece of them reached a text."""

from __future__ import annotations

import base64
from urllib.parse import quote

PUBLIC = "pk-lf-6f0d9a52-1b7c-4e38-a6d1-0c2e9f4b7a13"
SECRET = "sk-lf-3c8e1f70-9a4d-4b26-8e5f-7d1a2c9b0e64"  # 42 characters, like a real one
CREDENTIAL = base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()  # what Basic auth sends
# A run this long of a key is a leak (the brief's bar; the scrubber hides far shorter ones).
PIECE = 20


def leaked(text: str, *extra_forms: str) -> list[str]:
    """Every PIECE-character run of the secret, the Basic credential (raw or URL-encoded) or
    ``extra_forms`` that occurs in ``text``: a prefix left by a cut is one of them."""
    forms = (SECRET, CREDENTIAL, quote(CREDENTIAL, safe=""), *extra_forms)
    return [
        form[start : start + PIECE]
        for form in forms
        for start in range(len(form) - PIECE + 1)
        if form[start : start + PIECE] in text
    ]
