"""``instrument(OpenAI())``: ``chat.completions.create`` / ``.stream`` / ``.parse`` and
``responses.create`` / ``.stream`` / ``.parse`` recorded, everything else untouched."""

from __future__ import annotations

from typing import Any, Self

from openai.types.chat import ChatCompletion

from cost_pipeline.llm.background_responses import PendingResponses
from cost_pipeline.llm.call import CallConfig
from cost_pipeline.llm.helper_streams import openai_snapshot
from cost_pipeline.llm.openai_mapping import (
    OpenAIStreamState,
    force_stream_usage,
    output_of,
    price_context,
    spec_for,
)
from cost_pipeline.llm.openai_responses import AsyncRecordedResponses, RecordedResponses
from cost_pipeline.llm.passthrough import InstrumentedClient, Passthrough
from cost_pipeline.llm.recorded_create import AsyncRecordedCreate, ProviderCalls, RecordedCreate
from cost_pipeline.llm.usage import from_openai

OPENAI_CALLS = ProviderCalls(
    spec_for=spec_for,
    usage_of=from_openai,
    output_of=output_of,
    new_stream_state=OpenAIStreamState,
    snapshot=openai_snapshot,
    # An OpenAI stream reports usage only when asked to: the wrapper always asks.
    prepare_stream=force_stream_usage,
    price_context_of=price_context,
    # construct: the body as sent, not validated (a failed parse may come with odd content).
    response_from_json=lambda body: ChatCompletion.construct(**body),
)


class _Chat(Passthrough):
    def __init__(self, inner: Any, completions: RecordedCreate) -> None:
        super().__init__(inner)
        self.completions = completions


class InstrumentedOpenAI(InstrumentedClient):
    """An ``OpenAI`` / ``AsyncOpenAI`` client whose chat completions and responses are recorded
    in Langfuse."""

    def __init__(
        self,
        client: Any,
        config: CallConfig,
        *,
        is_async: bool,
        pending: PendingResponses | None = None,
    ) -> None:
        super().__init__(client, config, is_async=is_async)
        completions_class = AsyncRecordedCreate if is_async else RecordedCreate
        completions = completions_class(client.chat.completions, config, OPENAI_CALLS)
        self.chat = _Chat(client.chat, completions)
        responses_class = AsyncRecordedResponses if is_async else RecordedResponses
        self.responses = responses_class(client.responses, config, pending)

    def with_options(self, **options: Any) -> Self:
        """Still instrumented, and sharing the background responses pending here: a response
        created through one may be polled through the other."""
        options_client = self._inner.with_options(**options)
        pending = self.responses.background.pending
        return type(self)(options_client, self._config, is_async=self._is_async, pending=pending)

    copy = with_options
