"""``instrument(Anthropic())``: ``messages.create`` / ``messages.stream`` / ``messages.parse``
recorded, everything else untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anthropic.resources.messages import AsyncMessages
from anthropic.types import Message

from cost_pipeline.llm.anthropic_mapping import (
    AnthropicStreamState,
    output_of,
    price_context,
    spec_for,
)
from cost_pipeline.llm.anthropic_spans import without_sdk_spans
from cost_pipeline.llm.call import CallConfig
from cost_pipeline.llm.helper_streams import anthropic_snapshot
from cost_pipeline.llm.passthrough import InstrumentedClient
from cost_pipeline.llm.recorded_create import AsyncRecordedCreate, ProviderCalls, RecordedCreate
from cost_pipeline.llm.usage import from_anthropic

try:
    # Private, but the very wrappers the SDK builds its own ``with_raw_response`` methods with.
    from anthropic._response import async_to_raw_response_wrapper, to_raw_response_wrapper

    PARSE_RECORDABLE = True
except ImportError:  # an SDK that moved them: parse passes through unrecorded, create still works
    PARSE_RECORDABLE = False


def raw_parse(messages: Any) -> Callable[..., Any]:
    """``messages.parse`` answering with the raw response, which the SDK does not offer (its
    ``with_raw_response`` has no ``parse``): when parsing a billed answer fails, its usage is
    still in the body."""
    if isinstance(messages, AsyncMessages):
        return async_to_raw_response_wrapper(messages.parse)
    return to_raw_response_wrapper(messages.parse)


ANTHROPIC_CALLS = ProviderCalls(
    spec_for=spec_for,
    usage_of=from_anthropic,
    output_of=output_of,
    # Anthropic streams always carry usage (message_start + message_delta).
    new_stream_state=lambda _asked_for_usage: AnthropicStreamState(),
    snapshot=anthropic_snapshot,
    price_context_of=price_context,
    # construct: the body as sent, not validated (a failed parse may come with odd content).
    response_from_json=(lambda body: Message.construct(**body)) if PARSE_RECORDABLE else None,
    raw_parse=raw_parse,
)


class InstrumentedAnthropic(InstrumentedClient):
    """An ``Anthropic`` / ``AsyncAnthropic`` client whose messages are recorded in Langfuse."""

    def __init__(self, client: Any, config: CallConfig, *, is_async: bool) -> None:
        client = without_sdk_spans(client)
        super().__init__(client, config, is_async=is_async)
        messages_class = AsyncRecordedCreate if is_async else RecordedCreate
        self.messages = messages_class(client.messages, config, ANTHROPIC_CALLS)
