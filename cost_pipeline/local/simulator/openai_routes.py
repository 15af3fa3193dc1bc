"""``POST /openai/v1/chat/completions``: OpenAI Chat Completions, plain JSON or SSE."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cost_pipeline.local.simulator.errors import error_response, request_id
from cost_pipeline.local.simulator.json_schema import openai_reply
from cost_pipeline.local.simulator.knobs import SimulatorKnobs
from cost_pipeline.local.simulator.models import (
    answers_without_usage,
    openai_reasoning_tokens,
    resolve_model,
)
from cost_pipeline.local.simulator.prompt_cache import PromptCache
from cost_pipeline.local.simulator.prompts import openai_prompt
from cost_pipeline.local.simulator.reply import Reply, request_digest, split_for_stream
from cost_pipeline.local.simulator.request_checks import accept
from cost_pipeline.local.simulator.sse import data_line, stream_response
from cost_pipeline.local.simulator.tokens import count_tokens

SERVED_TIERS = ("flex", "priority")


def _invalid(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "'messages' must be a non-empty array"
    return None


def served_tier(body: dict[str, Any]) -> str:
    """The tier the request asked for when it is one OpenAI serves on demand ("auto" and
    anything else are served on the default tier), as the real API reports it."""
    tier = body.get("service_tier")
    return tier if tier in SERVED_TIERS else "default"


def _usage(prompt_tokens: int, cached: int, reply: Reply, reasoning: int) -> dict[str, Any]:
    completion = reply.tokens + reasoning
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class OpenAIChat:
    def __init__(self, knobs: SimulatorKnobs, cache: PromptCache) -> None:
        self._knobs = knobs
        self._cache = cache

    async def handle(self, request: Request) -> Response:
        accepted = await accept(request, "openai", self._knobs)
        if isinstance(accepted, JSONResponse):
            return accepted
        body = accepted.body
        problem = _invalid(body)
        if problem:
            return error_response("openai", 400, problem)
        model = resolve_model(body["model"])
        prompt = openai_prompt(body)
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        cap = cap if isinstance(cap, int) and cap > 0 else None
        reply = openai_reply(body, False, request_digest("openai", model, prompt), cap)
        if isinstance(reply, JSONResponse):
            return reply
        reasoning = openai_reasoning_tokens(model, body.get("reasoning_effort"), reply.tokens, cap)
        cached = self._cache.openai_cached_tokens(f"openai:{model}", prompt)
        usage = None
        if not (accepted.no_usage or answers_without_usage(body["model"])):
            usage = _usage(count_tokens(prompt), cached, reply, reasoning)
        envelope = {
            "id": f"chatcmpl-sim-{uuid.uuid4().hex[:20]}",
            "created": int(time.time()),
            "model": model,
            "service_tier": served_tier(body),
            "system_fingerprint": "fp_sim",
        }
        finish = "length" if reply.truncated else "stop"
        headers = {"x-request-id": request_id("openai")}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            frames = _stream_frames(envelope, reply, finish, usage if include_usage else None)
            return stream_response(frames, headers)
        message = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        completion = {
            **envelope,
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
        }
        if usage is not None:
            completion["usage"] = usage
        return JSONResponse(completion, headers=headers)


def _stream_frames(
    envelope: dict[str, Any], reply: Reply, finish: str, usage: dict[str, Any] | None
) -> Iterator[bytes]:
    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return data_line(
            {**envelope, "object": "chat.completion.chunk", "choices": [choice], "usage": None}
        )

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in split_for_stream(reply.text):
        yield chunk({"content": piece})
    yield chunk({}, finish)
    if usage is not None:
        yield data_line(
            {**envelope, "object": "chat.completion.chunk", "choices": [], "usage": usage}
        )
    yield b"data: [DONE]\n\n"
