"""Requests rendered to canonical prompt text, the input of token counting and caching.

Order follows how the providers build their cache prefix: tools, then system, then messages.
"""

from __future__ import annotations

import json
from typing import Any

from cost_pipeline.local.simulator.prompt_cache import Segment
from cost_pipeline.local.simulator.tokens import content_text, part_text, tools_text


def openai_prompt(body: dict[str, Any]) -> str:
    lines = [tools_text(body.get("tools"))]
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            lines.append(part_text(message) + "\n")
            continue
        text = content_text(message.get("content"))
        if message.get("tool_calls"):
            text += json.dumps(message["tool_calls"], sort_keys=True, separators=(",", ":"))
        lines.append(f"{message.get('role', 'user')}: {text}\n")
    return "".join(lines)


def openai_responses_prompt(body: dict[str, Any]) -> str:
    """A Responses API request as the chat prompt it amounts to: ``instructions`` is the system
    message, ``input`` a string (one user message) or a list of messages and items."""
    lines = [tools_text(body.get("tools"))]
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        lines.append(f"system: {body['instructions']}\n")
    items = body.get("input")
    for item in [{"role": "user", "content": items}] if isinstance(items, str) else items or []:
        if isinstance(item, dict) and "role" in item:
            lines.append(f"{item['role']}: {content_text(item.get('content'))}\n")
        else:  # function calls, their outputs, reasoning items: counted as their JSON
            lines.append(part_text(item) + "\n")
    return "".join(lines)


def _ttl(block: Any) -> str | None:
    """The cache TTL a block's ``cache_control`` asks for, or None without a breakpoint."""
    if not isinstance(block, dict) or not isinstance(block.get("cache_control"), dict):
        return None
    return "1h" if block["cache_control"].get("ttl") == "1h" else "5m"


def anthropic_segments(body: dict[str, Any]) -> list[Segment]:
    segments = [Segment(tools_text([tool]), _ttl(tool)) for tool in body.get("tools") or [] if tool]
    system = body.get("system")
    if isinstance(system, list):
        segments += [Segment(f"system: {part_text(block)}\n", _ttl(block)) for block in system]
    elif system:
        segments.append(Segment(f"system: {content_text(system)}\n"))
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            segments.append(Segment(part_text(message) + "\n"))
            continue
        role = message.get("role", "user")
        content = message.get("content")
        blocks = content if isinstance(content, list) else [content_text(content)]
        segments += [Segment(f"{role}: {part_text(block)}\n", _ttl(block)) for block in blocks]
    return segments
