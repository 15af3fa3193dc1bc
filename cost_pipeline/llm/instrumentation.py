"""``instrument(client, feature=..., team=...)``: the one entry point for recording calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import anthropic
import openai
from langfuse import Langfuse

from cost_pipeline.llm.anthropic_client import InstrumentedAnthropic
from cost_pipeline.llm.call import CallConfig, RecordedCall
from cost_pipeline.llm.context import CallContext
from cost_pipeline.llm.openai_client import InstrumentedOpenAI

InstrumentedClient = InstrumentedOpenAI | InstrumentedAnthropic


def instrument(
    client: Any,
    *,
    feature: str | None = None,
    team: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    trace_name: str | None = None,
    name: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    langfuse: Langfuse | None = None,
    capture_io: bool = True,
    on_record: Callable[[RecordedCall], None] | None = None,
    **metadata: Any,
) -> Any:
    """Wrap an ``OpenAI`` / ``AsyncOpenAI`` / ``Anthropic`` / ``AsyncAnthropic`` client.

    ``client.chat.completions.create(...)`` / ``client.responses.create(...)`` /
    ``client.messages.create(...)`` (sync, async, ``stream=True`` or not, and their ``stream(...)``
    helpers) are then recorded as Langfuse generations with the provider's
    actual usage, cost and the business context given here (``feature``, ``team``, extra
    ``metadata`` keys, ``user_id``, ``session_id``, ``tags``, ``trace_name``; per-request
    additions with ``with track(...)``). ``name`` names the generation. ``langfuse`` defaults
    to ``langfuse.get_client()`` (LANGFUSE_* env vars). ``capture_io=False`` leaves prompts and
    completions out of Langfuse. ``on_record`` is called with a ``RecordedCall`` after each
    generation ended. Wrapping an instrumented client again adds the new context to it.
    """
    context = CallContext.build(
        feature=feature,
        team=team,
        user_id=user_id,
        session_id=session_id,
        trace_name=trace_name,
        name=name,
        tags=tags,
        **metadata,
    )
    if isinstance(client, InstrumentedOpenAI | InstrumentedAnthropic):
        base: CallConfig = client._config
        config = replace(
            base,
            context=base.context.merged(context),
            langfuse=langfuse or base.langfuse,
            capture_io=capture_io and base.capture_io,
            on_record=on_record or base.on_record,
        )
        return type(client)(client.unwrapped, config, is_async=client._is_async)
    config = CallConfig(
        context=context, langfuse=langfuse, capture_io=capture_io, on_record=on_record
    )
    if isinstance(client, openai.AsyncOpenAI):
        return InstrumentedOpenAI(client, config, is_async=True)
    if isinstance(client, openai.OpenAI):
        return InstrumentedOpenAI(client, config, is_async=False)
    if isinstance(client, anthropic.AsyncAnthropic):
        return InstrumentedAnthropic(client, config, is_async=True)
    if isinstance(client, anthropic.Anthropic):
        return InstrumentedAnthropic(client, config, is_async=False)
    raise TypeError(
        "instrument() takes an openai.OpenAI / AsyncOpenAI or anthropic.Anthropic / "
        f"AsyncAnthropic client, not {type(client).__name__}"
    )
