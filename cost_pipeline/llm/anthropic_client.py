"""``instrument(Anthropic())``: ``messages.create`` / ``messages.stream`` recorded, everything
else untouched."""

from __future__ import annotations

from typing import Any

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

ANTHROPIC_CALLS = ProviderCalls(
    spec_for=spec_for,
    usage_of=from_anthropic,
    output_of=output_of,
    # Anthropic streams always carry usage (message_start + message_delta).
    new_stream_state=lambda _asked_for_usage: AnthropicStreamState(),
    snapshot=anthropic_snapshot,
    price_context_of=price_context,
)


class InstrumentedAnthropic(InstrumentedClient):
    """An ``Anthropic`` / ``AsyncAnthropic`` client whose messages are recorded in Langfuse."""

    def __init__(self, client: Any, config: CallConfig, *, is_async: bool) -> None:
        client = without_sdk_spans(client)
        super().__init__(client, config, is_async=is_async)
        messages_class = AsyncRecordedCreate if is_async else RecordedCreate
        self.messages = messages_class(client.messages, config, ANTHROPIC_CALLS)
