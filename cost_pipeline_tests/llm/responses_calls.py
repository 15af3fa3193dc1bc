"""Responses API calls made as application code makes them, in each of the ways the SDK offers."""

from __future__ import annotations

import asyncio
from typing import Any

import openai

from cost_pipeline.llm import instrument

# create(), create(stream=True), and the SDK's stream helper.
MODES = ["plain", "stream", "helper"]


def instrumented_openai(server, langfuse, recorded, is_async: bool, **context: Any):
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    raw = cls(base_url=f"{server.base_url}/openai/v1", api_key="sk-test", max_retries=0)
    context = {"feature": "f", "team": "t", **context}
    return instrument(raw, langfuse=langfuse, on_record=recorded.append, **context)


def respond(client: Any, mode: str, is_async: bool, **kwargs: Any) -> tuple[Any, list[Any]]:
    """(the final response the caller saw, the events it read); errors reach the caller."""
    if is_async:
        return asyncio.run(_respond_async(client, mode, kwargs))
    if mode == "plain":
        return client.responses.create(**kwargs), []
    if mode == "stream":
        events = list(client.responses.create(**kwargs, stream=True))
        return events[-1].response, events
    with client.responses.stream(**kwargs) as stream:
        events = list(stream)
        if events[-1].type == "response.completed":
            return stream.get_final_response(), events
    return events[-1].response, events


async def _respond_async(client: Any, mode: str, kwargs: dict[str, Any]) -> tuple[Any, list[Any]]:
    if mode == "plain":
        return await client.responses.create(**kwargs), []
    if mode == "stream":
        stream = await client.responses.create(**kwargs, stream=True)
        events = [event async for event in stream]
        return events[-1].response, events
    async with client.responses.stream(**kwargs) as stream:
        events = [event async for event in stream]
        if events[-1].type == "response.completed":
            return await stream.get_final_response(), events
    return events[-1].response, events


def expected_usage(usage: Any) -> dict[str, int]:
    """Langfuse's canonical keys from the Responses usage the caller saw."""
    return canonical_usage(
        usage.input_tokens,
        usage.input_tokens_details.cached_tokens,
        usage.output_tokens,
        usage.output_tokens_details.reasoning_tokens,
        usage.total_tokens,
    )


def expected_chat_usage(usage: Any) -> dict[str, int]:
    """The same for chat's usage, under its own names."""
    return canonical_usage(
        usage.prompt_tokens,
        usage.prompt_tokens_details.cached_tokens,
        usage.completion_tokens,
        usage.completion_tokens_details.reasoning_tokens,
        usage.total_tokens,
    )


# The keys of a reasoning model's usage that read from the cache: every class has tokens.
CACHED_REASONING_KEYS = {
    "input",
    "input_cached_tokens",
    "output",
    "output_reasoning_tokens",
    "total",
}


def canonical_usage(
    input_tokens: int, cached: int, output_tokens: int, reasoning: int, total: int
) -> dict[str, int]:
    """Cached tokens split out of input, reasoning out of output, keys with nothing in them left
    out (input and output stay)."""
    details = {
        "input": input_tokens - cached,
        "input_cached_tokens": cached,
        "output": output_tokens - reasoning,
        "output_reasoning_tokens": reasoning,
    }
    keep = {"input", "output"}
    return {k: v for k, v in details.items() if v or k in keep} | {"total": total}
