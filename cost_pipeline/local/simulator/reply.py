"""The deterministic answer: same request, same text and token counts, no randomness."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cost_pipeline.local.simulator.tokens import chars_for_tokens, tokens_for_chars

MIN_REPLY_TOKENS = 8
MAX_REPLY_TOKENS = 64

_WORDS = (
    *("the", "simulator", "answers", "with", "plausible", "words", "so", "that", "streams"),
    *("carry", "several", "chunks", "and", "token", "counts", "stay", "stable", "for"),
    *("every", "identical", "request", "while", "cost", "attribution", "is", "tested"),
)


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int
    truncated: bool


def request_digest(*parts: str) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.digest()


def reply_for(digest: bytes, max_tokens: int | None) -> Reply:
    """Text of 8-64 tokens chosen by the request digest, cut to ``max_tokens`` if given."""
    wanted = MIN_REPLY_TOKENS + digest[0] % (MAX_REPLY_TOKENS - MIN_REPLY_TOKENS + 1)
    tokens = wanted if max_tokens is None else max(0, min(wanted, max_tokens))
    words: list[str] = []
    length = 0
    index = digest[1]
    target = chars_for_tokens(tokens)
    while length <= target:  # joined text is one char shorter than `length`
        word = _WORDS[index % len(_WORDS)]
        words.append(word)
        length += len(word) + 1
        index += digest[2] % 7 + 1
    # Exactly 4 characters per token, so the count re-derived from the text agrees.
    text = " ".join(words)[:target]
    return Reply(text=text, tokens=tokens, truncated=tokens < wanted)


def structured_reply(text: str, max_tokens: int | None) -> Reply:
    """A given answer (structured outputs' JSON) counted by the usual rule and cut to
    ``max_tokens`` like any answer: cut JSON no longer parses, as from the real API."""
    tokens = tokens_for_chars(len(text))
    if max_tokens is None or max_tokens >= tokens:
        return Reply(text=text, tokens=tokens, truncated=False)
    cut = text[: chars_for_tokens(max(0, max_tokens))]
    return Reply(text=cut, tokens=tokens_for_chars(len(cut)), truncated=True)


def split_for_stream(text: str, pieces: int = 6) -> list[str]:
    """A few word-aligned chunks: enough to exercise stream handling, cheap to send."""
    words = text.split(" ")
    if len(words) <= 1:
        return [text] if text else []
    size = max(1, -(-len(words) // pieces))
    chunks = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [chunk if i == 0 else " " + chunk for i, chunk in enumerate(chunks)]
