"""``POST /openai/v1/responses``: OpenAI's Responses API, plain JSON or SSE events.

The rules are the chat route's (tokens, prompt cache, reasoning, faults); the shape differs: usage
is ``input_tokens`` / ``output_tokens`` with their details, the answer is a list of output items
(a reasoning item first for reasoning models), and a stream is named events (``event:`` line,
``sequence_number``) that ends in ``response.completed``, in ``response.incomplete`` when
``max_output_tokens`` cut the answer, or in ``response.failed`` with the fault header
``response-failed``. Each of those carries the whole response, usage included. With
``background: true`` (not streamed) the answer is kept and polled for (openai_background.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from itertools import count
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
from cost_pipeline.local.simulator.openai_background import BackgroundResponses
from cost_pipeline.local.simulator.openai_routes import served_tier
from cost_pipeline.local.simulator.prompt_cache import PromptCache
from cost_pipeline.local.simulator.prompts import openai_responses_prompt
from cost_pipeline.local.simulator.reply import request_digest, split_for_stream
from cost_pipeline.local.simulator.request_checks import accept
from cost_pipeline.local.simulator.sse import event_lines, stream_response
from cost_pipeline.local.simulator.tokens import count_tokens

FAILED_FAULT = "response-failed"
_FAILURE = {"code": "server_error", "message": "The model failed to finish (simulated)."}


def _invalid(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    if not (isinstance(body.get("input"), str | list) and body["input"]):
        return "'input' must be a non-empty string or array"
    return None


def _usage(input_tokens: int, cached: int, visible: int, reasoning: int) -> dict[str, Any]:
    output = visible + reasoning
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output,
    }


def _envelope(body: dict[str, Any], model: str, cap: int | None, effort: Any) -> dict[str, Any]:
    """The response as ``response.created`` announces it; later events fill in the rest."""
    return {
        "id": f"resp_sim{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": cap,
        "metadata": body.get("metadata") or {},
        "model": model,
        "output": [],
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": effort, "summary": None},
        "service_tier": served_tier(body),
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        # The format asked for (a JSON schema with structured outputs) is echoed, as by the API.
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": None,
    }


# The built-in web search tools (the SDK's ``WebSearchToolParam`` / ``WebSearchPreviewToolParam``).
_WEB_SEARCH_TOOLS = frozenset(
    {"web_search", "web_search_2025_08_26", "web_search_preview", "web_search_preview_2025_03_11"}
)


def _search_call(tool_type: Any, query: str) -> dict[str, Any] | None:
    """The completed output item of one call of a built-in search tool (None: not one): a
    ``web_search_call`` (``ResponseFunctionWebSearch``) or a ``file_search_call``
    (``ResponseFileSearchToolCall``)."""
    if tool_type in _WEB_SEARCH_TOOLS:
        return {
            "id": f"ws_sim{uuid.uuid4().hex}",
            "type": "web_search_call",
            "status": "completed",
            "action": {"type": "search", "query": query},
        }
    if tool_type == "file_search":
        return {
            "id": f"fs_sim{uuid.uuid4().hex}",
            "type": "file_search_call",
            "status": "completed",
            "queries": [query],
            "results": None,
        }
    return None


def _search_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One completed search call output item per built-in web or file search tool offered, in
    the tools' order: the API bills each call on top of the tokens and reports it only as an
    output item, not in ``usage``."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    query = body["input"][:200] if isinstance(body["input"], str) else "simulated search"
    calls = (_search_call(tool.get("type"), query) for tool in tools if isinstance(tool, dict))
    return [call for call in calls if call is not None]


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


class OpenAIResponses:
    def __init__(self, knobs: SimulatorKnobs, cache: PromptCache) -> None:
        self._knobs = knobs
        self._cache = cache
        self.background = BackgroundResponses()

    async def handle(self, request: Request) -> Response:
        accepted = await accept(request, "openai", self._knobs, (FAILED_FAULT,))
        if isinstance(accepted, JSONResponse):
            return accepted
        body = accepted.body
        problem = _invalid(body)
        if problem:
            return error_response("openai", 400, problem)
        failed = accepted.fault == FAILED_FAULT
        background = body.get("background") is True and not body.get("stream")
        if failed and not body.get("stream") and not background:
            # Without a stream a model failure is an error status, as from the real API (a
            # background one is polled until it reports ``failed``).
            return error_response("openai", 500, _FAILURE["message"])
        model = resolve_model(body["model"])
        prompt = openai_responses_prompt(body)
        cap = body.get("max_output_tokens")
        cap = cap if isinstance(cap, int) and cap > 0 else None
        effort = (body.get("reasoning") or {}).get("effort")
        reply = openai_reply(body, True, request_digest("openai", model, prompt), cap)
        if isinstance(reply, JSONResponse):
            return reply
        reasoning = openai_reasoning_tokens(model, effort, reply.tokens, cap)
        cached = self._cache.openai_cached_tokens(f"openai:{model}", prompt)
        envelope = _envelope(body, model, cap, effort)
        status = "failed" if failed else "incomplete" if reply.truncated else "completed"
        message = {
            "id": f"msg_sim{uuid.uuid4().hex}",
            "type": "message",
            "status": "completed" if status == "completed" else "incomplete",
            "role": "assistant",
            "content": [_text_part(reply.text)],
        }
        thought = [{"id": f"rs_sim{uuid.uuid4().hex}", "type": "reasoning", "summary": []}]
        final = {
            **envelope,
            "status": status,
            "output": (thought if reasoning else []) + _search_calls(body) + [message],
            "error": _FAILURE if failed else None,
            "incomplete_details": {"reason": "max_output_tokens"} if reply.truncated else None,
        }
        if not (accepted.no_usage or answers_without_usage(body["model"])):
            final["usage"] = _usage(count_tokens(prompt), cached, reply.tokens, reasoning)
        if background:
            return self.background.queue(final)
        headers = {"x-request-id": request_id("openai")}
        if body.get("stream"):
            return stream_response(_events(envelope, final), headers)
        return JSONResponse(final, headers=headers)


def _events(envelope: dict[str, Any], final: dict[str, Any]) -> Iterator[bytes]:
    """The event sequence the SDK's stream helper accumulates: lifecycle, then each output item
    added and done (the message's text as deltas), then the final lifecycle event."""
    sequence = count()

    def event(kind: str, **payload: Any) -> bytes:
        return event_lines(kind, {"type": kind, "sequence_number": next(sequence), **payload})

    yield event("response.created", response=envelope)
    yield event("response.in_progress", response=envelope)
    for index, item in enumerate(final["output"]):
        if item["type"] != "message":
            yield event("response.output_item.added", output_index=index, item=item)
            yield event("response.output_item.done", output_index=index, item=item)
            continue
        text = item["content"][0]["text"]
        where = {"item_id": item["id"], "output_index": index}
        added = {**item, "status": "in_progress", "content": []}
        yield event("response.output_item.added", output_index=index, item=added)
        yield event("response.content_part.added", **where, content_index=0, part=_text_part(""))
        for piece in split_for_stream(text):
            yield event(
                "response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[]
            )
        if final["status"] == "failed":
            break  # failed before the answer was finished: its item never completes
        yield event("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
        yield event("response.content_part.done", **where, content_index=0, part=_text_part(text))
        yield event("response.output_item.done", output_index=index, item=item)
    yield event(f"response.{final['status']}", response=final)
