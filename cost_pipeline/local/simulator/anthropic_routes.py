"""``POST /anthropic/v1/messages`` (+ ``/count_tokens``): Anthropic Messages, JSON or SSE; a
JSON schema in ``output_config.format`` (``messages.parse``) is answered with conforming JSON."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cost_pipeline.local.simulator.errors import error_response, request_id
from cost_pipeline.local.simulator.json_schema import UnsupportedSchema, anthropic_json
from cost_pipeline.local.simulator.knobs import SimulatorKnobs
from cost_pipeline.local.simulator.models import answers_without_usage, resolve_model
from cost_pipeline.local.simulator.prompt_cache import AnthropicCacheUsage, PromptCache
from cost_pipeline.local.simulator.prompts import anthropic_segments
from cost_pipeline.local.simulator.reply import (
    Reply,
    reply_for,
    request_digest,
    split_for_stream,
    structured_reply,
)
from cost_pipeline.local.simulator.request_checks import accept
from cost_pipeline.local.simulator.sse import event_lines, stream_response
from cost_pipeline.local.simulator.tokens import tokens_for_chars

DEFAULT_THINKING_BUDGET = 2048
THINKING_SUMMARY = "Considering the request step by step before answering."


@dataclass(frozen=True)
class Answer:
    reply: Reply
    thinking_tokens: int  # 0 when thinking is off

    @property
    def output_tokens(self) -> int:
        return self.reply.tokens + self.thinking_tokens


def _invalid(body: dict[str, Any], need_max_tokens: bool = True) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if need_max_tokens and (not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1):
        return "max_tokens: Field required (integer >= 1)"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages: Field required (non-empty list)"
    return None


def _answer(body: dict[str, Any], model: str, prompt_key: str, json_text: str | None) -> Answer:
    """``json_text``: the structured-outputs answer, cut by the token cap like the words."""
    digest = request_digest("anthropic", model, prompt_key)

    def reply(cap: int | None) -> Reply:
        return reply_for(digest, cap) if json_text is None else structured_reply(json_text, cap)

    max_tokens: int = body["max_tokens"]
    thinking = body.get("thinking") if isinstance(body.get("thinking"), dict) else {}
    thinking_on = thinking.get("type") in ("enabled", "adaptive")
    thinking_tokens = 0
    if thinking_on:
        budget = thinking.get("budget_tokens") or DEFAULT_THINKING_BUDGET
        thinking_tokens = max(0, min(budget, 3 * reply(None).tokens + 16, max_tokens - 1))
    return Answer(reply=reply(max_tokens - thinking_tokens), thinking_tokens=thinking_tokens)


def _web_searches(body: dict[str, Any]) -> int:
    """Server-side web searches the answer ran: one per web search tool offered (billed per
    search on top of the tokens, reported in ``usage.server_tool_use``)."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    return sum(
        1
        for tool in tools
        if isinstance(tool, dict) and str(tool.get("type", "")).startswith("web_search")
    )


def _usage(
    input_tokens: int, cache: AnthropicCacheUsage, answer: Answer, web_searches: int = 0
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "output_tokens": answer.output_tokens,
        "cache_creation_input_tokens": cache.created,
        "cache_read_input_tokens": cache.read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": cache.created_5m,
            "ephemeral_1h_input_tokens": cache.created_1h,
        },
        "service_tier": "standard",
    }
    if answer.thinking_tokens:
        usage["output_tokens_details"] = {"thinking_tokens": answer.thinking_tokens}
    if web_searches:
        usage["server_tool_use"] = {"web_search_requests": web_searches}
    return usage


class AnthropicMessages:
    def __init__(self, knobs: SimulatorKnobs, cache: PromptCache) -> None:
        self._knobs = knobs
        self._cache = cache

    async def handle(self, request: Request) -> Response:
        accepted = await accept(request, "anthropic", self._knobs)
        if isinstance(accepted, JSONResponse):
            return accepted
        body = accepted.body
        problem = _invalid(body)
        if problem:
            return error_response("anthropic", 400, problem)
        try:
            json_text = anthropic_json(body)
        except UnsupportedSchema as exc:
            return error_response("anthropic", 400, f"output_config.format.schema: {exc}")
        model = resolve_model(body["model"])
        segments = anthropic_segments(body)
        prompt_key = "".join(segment.text for segment in segments)
        total = tokens_for_chars(len(prompt_key))
        cache = self._cache.anthropic_usage(f"anthropic:{model}", segments)
        answer = _answer(body, model, prompt_key, json_text)
        usage = None
        if not (accepted.no_usage or answers_without_usage(body["model"])):
            usage = _usage(total - cache.read - cache.created, cache, answer, _web_searches(body))
        message: dict[str, Any] = {
            "id": f"msg_sim_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
        }
        stop_reason = "max_tokens" if answer.reply.truncated else "end_turn"
        headers = {"request-id": request_id("anthropic")}
        if body.get("stream"):
            return stream_response(_stream_frames(message, answer, stop_reason, usage), headers)
        content = [*_thinking_blocks(answer), {"type": "text", "text": answer.reply.text}]
        message.update(content=content, stop_reason=stop_reason, stop_sequence=None)
        if usage is not None:
            message["usage"] = usage
        return JSONResponse(message, headers=headers)


async def count_tokens_route(request: Request) -> Response:
    """``POST /anthropic/v1/messages/count_tokens`` with the same counting rule."""
    accepted = await accept(request, "anthropic", SimulatorKnobs())
    if isinstance(accepted, JSONResponse):
        return accepted
    problem = _invalid(accepted.body, need_max_tokens=False)
    if problem:
        return error_response("anthropic", 400, problem)
    text = "".join(segment.text for segment in anthropic_segments(accepted.body))
    return JSONResponse({"input_tokens": tokens_for_chars(len(text))})


def _thinking_blocks(answer: Answer) -> list[dict[str, Any]]:
    if not answer.thinking_tokens:
        return []
    return [{"type": "thinking", "thinking": THINKING_SUMMARY, "signature": "sim-signature"}]


def _stream_frames(
    message: dict[str, Any], answer: Answer, stop_reason: str, usage: dict[str, Any] | None
) -> Iterator[bytes]:
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    if usage is not None:
        # message_start carries input and cache counts; output grows until message_delta.
        start["usage"] = {**usage, "output_tokens": 1}
        start["usage"].pop("output_tokens_details", None)
        start["usage"].pop("server_tool_use", None)
    yield event_lines("message_start", {"type": "message_start", "message": start})
    index = 0
    if answer.thinking_tokens:
        yield _block_start(index, {"type": "thinking", "thinking": "", "signature": ""})
        yield _delta(index, {"type": "thinking_delta", "thinking": THINKING_SUMMARY})
        yield _delta(index, {"type": "signature_delta", "signature": "sim-signature"})
        yield event_lines("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    yield _block_start(index, {"type": "text", "text": ""})
    yield event_lines("ping", {"type": "ping"})
    for piece in split_for_stream(answer.reply.text):
        yield _delta(index, {"type": "text_delta", "text": piece})
    yield event_lines("content_block_stop", {"type": "content_block_stop", "index": index})
    delta: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
    }
    if usage is not None:
        keys = ("input_tokens", "output_tokens", "cache_creation_input_tokens")
        delta["usage"] = {k: usage[k] for k in (*keys, "cache_read_input_tokens")}
        for key in ("output_tokens_details", "server_tool_use"):
            if key in usage:
                delta["usage"][key] = usage[key]
    yield event_lines("message_delta", delta)
    yield event_lines("message_stop", {"type": "message_stop"})


def _block_start(index: int, block: dict[str, Any]) -> bytes:
    payload = {"type": "content_block_start", "index": index, "content_block": block}
    return event_lines("content_block_start", payload)


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return event_lines(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )
