"""Prompt-prefix cache with the two providers' accounting rules.

OpenAI caches automatically: prompts of 1024+ tokens, hits in 128-token steps, reported as
``cached_tokens`` (part of ``prompt_tokens``). Anthropic caches only up to explicit
``cache_control`` breakpoints: the first request writes the prefix (``cache_creation_input_tokens``,
split by the breakpoint's 5m / 1h TTL), later ones read it (``cache_read_input_tokens``); both
come on top of ``input_tokens``. Entries expire after their TTL without use, like the real caches.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from cost_pipeline.local.simulator.tokens import chars_for_tokens, tokens_for_chars

MIN_CACHEABLE_TOKENS = 1024
OPENAI_STEP_TOKENS = 128
OPENAI_TTL_S = 600.0
ANTHROPIC_TTL_S = {"5m": 300.0, "1h": 3600.0}
MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class Segment:
    """A rendered prompt block; ``ttl`` ("5m" / "1h") marks a cache breakpoint after it."""

    text: str
    ttl: str | None = None


@dataclass(frozen=True)
class AnthropicCacheUsage:
    read: int = 0
    created_5m: int = 0
    created_1h: int = 0

    @property
    def created(self) -> int:
        return self.created_5m + self.created_1h


class PromptCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._expiry: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()

    def _hit(self, key: bytes, now: float) -> bool:
        expiry = self._expiry.get(key)
        return expiry is not None and expiry > now

    def _store(self, key: bytes, now: float, ttl_s: float) -> None:
        self._expiry[key] = max(self._expiry.get(key, 0.0), now + ttl_s)
        self._expiry.move_to_end(key)
        while len(self._expiry) > self._max_entries:
            self._expiry.popitem(last=False)

    def openai_cached_tokens(self, namespace: str, prompt: str) -> int:
        """Cached prefix length of ``prompt`` in tokens, then remember all of its prefixes."""
        full_tokens = len(prompt) // chars_for_tokens(1)
        if full_tokens < MIN_CACHEABLE_TOKENS:
            return 0
        digest = hashlib.sha256(namespace.encode())
        keys: list[tuple[int, bytes]] = []
        done = 0
        for boundary in range(MIN_CACHEABLE_TOKENS, full_tokens + 1, OPENAI_STEP_TOKENS):
            digest.update(prompt[chars_for_tokens(done) : chars_for_tokens(boundary)].encode())
            done = boundary
            keys.append((boundary, digest.copy().digest()))
        now = time.monotonic()
        with self._lock:
            cached = max((b for b, key in keys if self._hit(key, now)), default=0)
            for _, key in keys:
                self._store(key, now, OPENAI_TTL_S)
        return cached

    def anthropic_usage(self, namespace: str, segments: list[Segment]) -> AnthropicCacheUsage:
        digest = hashlib.sha256(namespace.encode())
        prefix_chars = 0
        breakpoints: list[tuple[int, str, bytes]] = []  # (prefix tokens, ttl, key)
        for segment in segments:
            digest.update(segment.text.encode())
            prefix_chars += len(segment.text)
            if segment.ttl is None:
                continue
            tokens = tokens_for_chars(prefix_chars)
            if tokens >= MIN_CACHEABLE_TOKENS:
                breakpoints.append((tokens, segment.ttl, digest.copy().digest()))
        if not breakpoints:
            return AnthropicCacheUsage()
        now = time.monotonic()
        with self._lock:
            read = max((t for t, _, key in breakpoints if self._hit(key, now)), default=0)
            created = {"5m": 0, "1h": 0}
            covered = read
            for tokens, ttl, key in breakpoints:
                if tokens > covered:
                    created[ttl] += tokens - covered
                    covered = tokens
                self._store(key, now, ANTHROPIC_TTL_S[ttl])
        return AnthropicCacheUsage(read=read, created_5m=created["5m"], created_1h=created["1h"])
