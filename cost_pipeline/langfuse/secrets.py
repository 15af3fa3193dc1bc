"""Keep API keys out of every message, repr and log line we produce.

A server error can echo a key in more forms than the raw text: a proxy that prints the request's
``Authorization: Basic ...`` header shows base64 of ``public_key:secret_key``, and a server that
cuts its own text may show only part of a key. So every form below is hidden, and so is any long
enough piece of one (a cut never leaves a usable prefix behind).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from itertools import permutations
from urllib.parse import quote

from cost_pipeline.settings import mask_key

__all__ = [
    "CLIP_SCAN_FACTOR",
    "REDACTED",
    "Scrubber",
    "describe_secret",
    "mask_key",
    "scrub",
    "whitespace_around",
]

REDACTED = "[redacted]"
# A run of this many characters shared with a key's form is hidden even if the rest is missing.
# Langfuse keys are "sk-lf-" + a UUID: 10 characters show at most 4 of the random part.
MIN_PIECE = 10
_MIN_SECRET = 4  # shorter values are too likely to be ordinary words
# clip scans this many times its limit: replacements are short, so the kept start comes from it.
CLIP_SCAN_FACTOR = 8


def describe_secret(secret: str | None) -> str:
    """What may be said about a secret: whether it is set, how long, and whitespace around it."""
    if not secret:
        return "not set"
    edges = whitespace_around(secret)
    return f"set, {len(secret)} characters, not shown" + (f"; {edges}" if edges else "")


def whitespace_around(key: str) -> str | None:
    """``ends with a newline``: whitespace at a key's ends, which no key has but a value read
    from a file (a Kubernetes secret, a .env line) often does. Says nothing of the key itself."""
    edges = []
    if key[:1].isspace():
        edges.append(f"starts with {_whitespace_name(key[0])}")
    if key[-1:].isspace():
        edges.append(f"ends with {_whitespace_name(key[-1])}")
    return " and ".join(edges) or None


def _whitespace_name(char: str) -> str:
    names = {"\n": "a newline", "\r": "a newline", " ": "a space", "\t": "a tab"}
    return names.get(char, f"whitespace ({char!r})")


def _basic_forms(user: str, password: str) -> list[str]:
    """How an HTTP Basic credential for ``user:password`` shows up when echoed back."""
    raw = f"{user}:{password}".encode()
    forms = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    forms += [quote(form, safe="") for form in forms]  # echoed inside a URL or form body
    forms += [form.replace("/", "\\/") for form in forms]  # JSON encoders that escape "/"
    return forms


class Scrubber:
    """Hides ``secrets`` (raw, URL-encoded, and as Basic credentials of every pair) in text.

    Keys in ``shown`` (public ones) may appear as themselves, but not inside a credential."""

    def __init__(self, secrets: Iterable[str | None], shown: Iterable[str] = ()) -> None:
        keys = list(dict.fromkeys(s for s in secrets if s and len(s) >= _MIN_SECRET))
        hidden = [key for key in keys if key not in set(shown)]
        # The raw key keeps its usual mask (prefix and last 4), which says which key it was.
        forms: dict[str, str] = {key: mask_key(key) for key in hidden}
        for key in hidden:
            forms.setdefault(quote(key, safe=""), REDACTED)
        # Which key is the user and which the password is not known here: cover both orders.
        for user, password in permutations(keys, 2):
            for form in _basic_forms(user, password):
                forms.setdefault(form, REDACTED)
        self._forms = forms

    def scrub(self, text: str) -> str:
        spans: list[tuple[int, int, str]] = []
        for form, replacement in self._forms.items():
            spans += _spans_of(text, form, replacement)
        if not spans:
            return text
        pieces: list[str] = []
        done = 0
        for start, end, replacement in _merged(spans):
            pieces += [text[done:start], replacement]
            done = end
        pieces.append(text[done:])
        return "".join(pieces)

    def clip(self, text: str, limit: int) -> str:
        """Scrub, then cut to ``limit`` characters: cutting first could leave a key's prefix."""
        # What is scrubbed holds no run of MIN_PIECE characters of a key, so neither can its
        # start; the bound only keeps a huge body from being scanned in full.
        cleaned = self.scrub(text[: limit * CLIP_SCAN_FACTOR])
        return cleaned if len(cleaned) <= limit else cleaned[:limit] + "…"


def _spans_of(text: str, form: str, replacement: str) -> list[tuple[int, int, str]]:
    """Where ``form``, or any run of at least MIN_PIECE of its characters, occurs in ``text``."""
    spans = []
    if len(form) < MIN_PIECE:
        start = text.find(form)
        while start != -1:
            spans.append((start, start + len(form), replacement))
            start = text.find(form, start + 1)
        return spans
    # Every long enough run holds one of these windows; grow each hit to the run's ends.
    for offset in range(len(form) - MIN_PIECE + 1):
        window = form[offset : offset + MIN_PIECE]
        start = text.find(window)
        while start != -1:
            begin, first = start, offset  # text[begin] is form[first]
            while begin > 0 and first > 0 and text[begin - 1] == form[first - 1]:
                begin, first = begin - 1, first - 1
            end, last = start + MIN_PIECE, offset + MIN_PIECE  # text[end] would be form[last]
            while end < len(text) and last < len(form) and text[end] == form[last]:
                end, last = end + 1, last + 1
            whole = first == 0 and last == len(form)
            spans.append((begin, end, replacement if whole else REDACTED))
            start = text.find(window, start + 1)
    return spans


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans as one; a span that is exactly one whole key keeps that key's mask."""
    merged: list[tuple[int, int, str]] = []
    for start, end, replacement in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end, REDACTED)
            continue
        merged.append((start, end, replacement))
    return merged


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Hide every form of each secret in ``text`` (e.g. a server error echoing a key)."""
    return Scrubber(secrets).scrub(text)
