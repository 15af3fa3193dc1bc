"""Deterministic token counts without a tokenizer: one token per 4 characters, rounded up.

The prompt is rendered to one canonical string (tools, then system, then each message as
``role: text``), so a repeated prefix of the conversation is a repeated prefix of the string,
which is what prompt caching keys on. Counts only need to be stable and plausible, not exact.
"""

from __future__ import annotations

import json
import math
from typing import Any

CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    return tokens_for_chars(len(text))


def tokens_for_chars(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def chars_for_tokens(tokens: int) -> int:
    return tokens * CHARS_PER_TOKEN


def part_text(part: Any) -> str:
    """Text of one content part; non-text parts (images, tool calls) count as their JSON."""
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        if isinstance(part.get("text"), str):
            return part["text"]
        if isinstance(part.get("thinking"), str):
            return part["thinking"]
        stripped = {k: v for k, v in part.items() if k != "cache_control"}
        return json.dumps(stripped, sort_keys=True, separators=(",", ":"))
    return json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)


def content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(part_text(part) for part in content)
    return part_text(content)


def tools_text(tools: Any) -> str:
    if not tools:
        return ""
    return json.dumps(tools, sort_keys=True, separators=(",", ":"), default=str) + "\n"
